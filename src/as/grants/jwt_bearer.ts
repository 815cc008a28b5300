import { controlDisabled } from '../../core/controls.js';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { OAuthError, type OAuthErrorCode } from '../../core/errors.js';
import { epochSeconds } from '../../core/time.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import { authTimeFromClaim } from '../auth-time.js';
import { allowedResources } from '../clients/allowed-resources.js';
import { auditRejection } from '../idjag/audit.js';
import { idjagEnabled } from '../idjag/config.js';
import { JWT_BEARER_GRANT_TYPE } from '../idjag/constants.js';
import { trustedIssuers } from '../idjag/keys.js';
import { commitSubject, planSubject } from '../idjag/subject.js';
import { IdJagRejected, verifyIdJag, type IdJagReason } from '../idjag/verify.js';
import { parseScope, type Params } from '../params.js';
import { signAccessToken, type TokenResponseBody } from '../tokens.js';
import { narrowToUser } from '../user-scopes.js';

/** the wire error of each refusal reason: the assertion is the grant (invalid_grant) unless it is about the client or scope */
const WIRE: Partial<Record<IdJagReason, OAuthErrorCode>> = { public_client: 'unauthorized_client', scope_policy: 'invalid_scope' };

/** refusals already audited by the grant (the token endpoint audits the others, e.g. client authentication) */
const audited = new WeakSet<OAuthError>();

const toOAuthError = (e: IdJagRejected): OAuthError => new OAuthError(WIRE[e.reason] ?? 'invalid_grant', e.reason === 'scope_policy' ? 'no requested scope is available' : 'the assertion was refused', `idjag ${e.reason}: ${e.detail}`);

/**
 * RFC 7523 §2.1 jwt-bearer grant carrying an ID-JAG (Enterprise-Managed Authorization: [EMA] §5; [IDJAG] §4.4).
 * Every step of spec-checklist §4.5 is checked in order (src/as/idjag/verify.ts), the subject is matched or planned
 * for provisioning without writing, the scopes narrowed, and only then is the jti consumed (atomic in the store,
 * scoped by issuer, so it holds across instances) and anything written: a refused request leaves the store as it
 * was. The access token is bound to the ID-JAG's resource; no refresh token ([IDJAG] §4.4.3). Every acceptance and
 * refusal is audited with its reason.
 */
export async function jwtBearerGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  try {
    return await accept(ctx, params, auth);
  } catch (e) {
    const err = e instanceof IdJagRejected ? toOAuthError(e) : e;
    if (err instanceof OAuthError) {
      await auditRejection(ctx, err, e instanceof IdJagRejected ? e.reason : 'request', e instanceof IdJagRejected ? e.claims : {}, auth.client.client_id);
      audited.add(err);
    }
    throw err;
  }
}

async function accept(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  const { settings } = ctx;
  if (!idjagEnabled(settings.config)) throw new OAuthError('unsupported_grant_type', `grant_type ${JWT_BEARER_GRANT_TYPE} is not supported`, 'no enterprise.trusted_issuers configured');
  // step 2 — RFC 7521 §4.1: the assertion parameter, exactly one
  const assertion = params.required('assertion', { max: 16384 });
  const requested = parseScope(params.one('scope', { max: 1024 }));
  // RFC 8707 and [EMA] §5.1: the audience is the ID-JAG's resource; a resource parameter, if sent, must agree
  const resources = params.many('resource', { max: 2048 });
  if (resources.length > 1) throw new OAuthError('invalid_target', 'request exactly one resource');

  const v = await verifyIdJag({ assertion, auth, settings, issuers: trustedIssuers(settings), now: epochSeconds(ctx.clock) });
  const claims = { iss: v.iss, jti: v.jti, sub: v.sub };
  if (resources[0] !== undefined && normalizeSchemeAndHost(resources[0]) !== v.resource.id) throw new OAuthError('invalid_target', 'resource differs from the assertion', `resource ${resources[0]} is not the ID-JAG resource ${v.resource.id}`);
  // issue 4 item 5: a static client limited to some resources gets no token for another, whatever the IdP says
  const permitted = allowedResources(settings, auth.client.client_id);
  if (permitted && !permitted.includes(v.resource.id)) throw new IdJagRejected('resource_not_allowed', `${auth.client.client_id} is limited to ${permitted.join(' ')}`, claims);
  const plan = await planSubject(ctx, v);

  // step 12 — [EMA] §7.2.1, §7.6.2; spec-checklist §4.8: the intersection of the request's and the ID-JAG's scopes
  // (the ID-JAG's alone when the request has none), then the user's roles and the client's own limit
  const offered = v.resource.scopes;
  const unknown = (requested ?? []).filter((s) => !offered.includes(s));
  if (unknown.length > 0) throw new IdJagRejected('scope_policy', `requested scope not offered by ${v.resource.id}: ${unknown.join(' ')}`, claims);
  const ceiling = v.scope ?? offered;
  const wanted = requested ? ceiling.filter((s) => requested.includes(s)) : ceiling;
  const scope = narrowToUser(settings, v.resource.id, plan.user, wanted).filter((s) => s !== 'offline_access' && (auth.client.allowed_scopes?.includes(s) ?? true));
  if (scope.length === 0 && offered.length > 0) throw new IdJagRejected('scope_policy', `nothing of ${wanted.join(' ') || '(no scope)'} is permitted to this user and client`, claims);

  // step 8 — [EMA] §7.4.2: jti single use until exp (+ skew), scoped by issuer; atomic in the store (every instance)
  const skew = settings.config.tokens.clock_skew;
  const fresh = await ctx.store.useJti(`idjag:${v.iss}`, v.jti, (v.exp + skew) * 1000, ctx.clock());
  if (!fresh && !controlDisabled('idjag.jti')) throw new IdJagRejected('replay', `jti ${v.jti} was used before`, claims);

  const user = await commitSubject(ctx, v, plan);
  const grant_id = randomUUID();
  const resource = v.resource.id;
  const client_id = auth.client.client_id;
  // OIDC Core §2: the user authenticated at the IdP, at the ID-JAG's auth_time; without one, nothing is known (null, never "now").
  // The token carries what the grant keeps (RFC 9068 §2.2.1), as every other grant's tokens do: whole seconds, or none
  const auth_time = authTimeFromClaim(v.auth_time);
  await ctx.store.createGrant({ id: grant_id, user_id: user.id, client_id, resource, scope, created_at: ctx.clock(), auth_time, revoked_at: null, revoked_reason: null });
  const at = await signAccessToken(ctx, { grant_id, user_id: user.id, client_id, resource, scope, ...(auth_time !== null ? { auth_time: auth_time / 1000 } : {}) });
  ctx.log.info({ event: 'token_issued', grant: 'jwt-bearer', client_id, grant_id, resource, iss: v.iss }, 'tokens issued');
  await ctx.audit.record('idjag.accepted', { iss: v.iss, sub: v.sub, jti: v.jti, resource, scope, grant_id, user: plan.kind }, { user_id: user.id, client_id, subject: v.iss });
  await ctx.audit.record(
    'token.issued',
    { grant_type: JWT_BEARER_GRANT_TYPE, grant_id, jti: at.jti, scope, audience: resource, expires_at: at.exp, refresh_token_issued: false },
    { user_id: user.id, client_id },
  );
  // [IDJAG] §4.4.3: no refresh token; the client gets a fresh ID-JAG from its IdP instead
  return { access_token: at.token, token_type: 'Bearer', expires_in: at.expires_in, scope: scope.join(' ') };
}

/**
 * Audits a jwt-bearer request refused before the grant ran (client authentication, trust policy, a client not
 * allowed the grant type), with what can be read of the assertion without trusting it. Never throws.
 */
export async function auditJwtBearerRefusal(ctx: AsContext, params: Params, e: OAuthError): Promise<void> {
  if (audited.has(e)) return;
  let claims: { iss?: string; jti?: string } = {};
  try {
    const c = decodeJwt(params.one('assertion', { max: 16384 }) ?? '');
    claims = { ...(typeof c.iss === 'string' ? { iss: c.iss } : {}), ...(typeof c.jti === 'string' ? { jti: c.jti } : {}) };
  } catch {
    // not a JWT: nothing to add
  }
  try {
    await auditRejection(ctx, e, e.code === 'invalid_client' ? 'client_auth' : 'request', claims, null);
  } catch (err) {
    ctx.log.error({ err }, 'audit of a refused jwt-bearer request failed');
  }
}
