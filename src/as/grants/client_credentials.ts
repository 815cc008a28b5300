import { randomUUID } from 'node:crypto';
import type { Settings } from '../../config/resolve.js';
import { OAuthError } from '../../core/errors.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import { checkResource } from '../endpoints/authorize/check-resource.js';
import { allowedResources } from '../clients/allowed-resources.js';
import { parseScope, type Params } from '../params.js';
import { signAccessToken, type TokenResponseBody } from '../tokens.js';

/** the scope the admin API requires (issue 3 item 7) */
export const ADMIN_SCOPE = 'portcullis:admin';
/** the admin API's own resource identifier: the audience of its tokens */
export const adminResource = (settings: Settings): string => `${settings.issuer}/admin`;

/**
 * OAuth 2.1 §4.2 client credentials: a confidential, pre-registered client acting on its own behalf. The token
 * is an RFC 9068 JWT with sub = client_id, bound to one resource (RFC 8707, as at /authorize; the admin API's
 * `${issuer}/admin` is a target of this grant only), backed by the client's standing grant for that resource and
 * scope so it can be revoked; no refresh token (OAuth 2.1 §4.2.3: "A refresh token SHOULD NOT be included").
 */
export async function clientCredentialsGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  const { client } = auth;
  // OAuth 2.1 §4.2: only confidential clients; here only static ones (never CIMD or registered clients)
  if (auth.method === 'none' || client.kind !== 'static') throw new OAuthError('unauthorized_client', 'client_credentials needs a confidential pre-registered client');
  const resources = params.many('resource', { max: 2048 });
  const requested = parseScope(params.one('scope', { max: 1024 }));
  if (resources.length > 1) throw new OAuthError('invalid_target', 'request exactly one resource');

  // issue 4 item 5: the client's `resources` limit; a client limited to one resource gets it when it names none
  const permitted = allowedResources(ctx.settings, client.client_id);
  const named = resources.length === 0 && permitted?.length === 1 ? permitted : resources;
  const admin = adminResource(ctx.settings);
  const isAdmin = named[0] !== undefined && normalizeSchemeAndHost(named[0]) === admin;
  const { id: resource, scopes: offered } = isAdmin ? { id: admin, scopes: [ADMIN_SCOPE] } : checkResource(ctx.settings, named);
  // RFC 8707 §2: invalid_target for a resource this client may not reach
  if (permitted && !permitted.includes(resource)) throw new OAuthError('invalid_target', 'resource not available to this client', `${client.client_id} is limited to ${permitted.join(' ')}`);
  // the client's `scopes` config limits what it may hold; the admin scope must be listed there explicitly
  const allowed = offered.filter((s) => (client.allowed_scopes ? client.allowed_scopes.includes(s) : s !== ADMIN_SCOPE));
  // RFC 6749 §5.2 invalid_scope: unknown, or beyond what this client may hold (no user, so no offline_access)
  const refused = (requested ?? []).filter((s) => !allowed.includes(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not available to this client: ${refused.join(' ')}`);
  const scope = requested ?? allowed;
  if (scope.length === 0) throw new OAuthError('invalid_scope', 'no scope of this resource is available to this client');

  const grant_id = await standingGrant(ctx, client.client_id, resource, scope);
  const at = await signAccessToken(ctx, { grant_id, user_id: client.client_id, client_id: client.client_id, resource, scope });
  ctx.log.info({ event: 'token_issued', grant: 'client_credentials', client_id: client.client_id, grant_id, resource }, 'tokens issued');
  await ctx.audit.record(
    'token.issued',
    { grant_type: 'client_credentials', grant_id, jti: at.jti, scope, audience: resource, expires_at: at.exp, refresh_token_issued: false },
    { client_id: client.client_id },
  );
  return { access_token: at.token, token_type: 'Bearer', expires_in: at.expires_in, scope: scope.join(' ') };
}

/** (client, resource, scope) → the id of its standing grant, per AS context; bounded (static clients only reach it) */
const standing = new WeakMap<AsContext, Map<string, string>>();
const STANDING_MAX = 1024;

/**
 * The client's live grant for exactly this resource and scope, created when there is none (issue 9). A machine
 * client asks again for every token; a grant row per token would grow the store without bound (grants are kept
 * for the audit trail and never purged) and cost a write per request. Every token still carries the grant id,
 * so revoking the grant refuses all of them at once, and the next request starts a new grant. The id is
 * remembered here and checked against the store on every use, so a revocation made on any instance holds
 * immediately; after a restart the live one is found in the store. Two instances (or two first requests at
 * once) may each start one, which is harmless.
 */
async function standingGrant(ctx: AsContext, client_id: string, resource: string, scope: string[]): Promise<string> {
  let known = standing.get(ctx);
  if (!known) standing.set(ctx, (known = new Map()));
  const key = JSON.stringify([client_id, resource, [...scope].sort()]);
  const id = known.get(key);
  if (id !== undefined) {
    const grant = await ctx.store.getGrant(id);
    if (grant && grant.revoked_at === null) return id;
    known.delete(key);
  } else {
    // after a restart, or one another instance started: reuse it rather than start another
    const live = (await ctx.store.listGrants({ user_id: client_id, client_id })).find((g) => g.resource === resource && sameScope(g.scope, scope));
    if (live) {
      remember(known, key, live.id);
      return live.id;
    }
  }
  const grant_id = randomUUID();
  await ctx.store.createGrant({ id: grant_id, user_id: client_id, client_id, resource, scope, created_at: ctx.clock(), auth_time: null, revoked_at: null, revoked_reason: null });
  remember(known, key, grant_id);
  return grant_id;
}

function remember(known: Map<string, string>, key: string, id: string): void {
  if (known.size >= STANDING_MAX) known.clear();
  known.set(key, id);
}

const sameScope = (a: string[], b: string[]): boolean => a.length === b.length && a.every((s) => b.includes(s));
