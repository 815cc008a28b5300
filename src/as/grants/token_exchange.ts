import { issuanceOf, TOKEN_EXCHANGE_GRANT } from '../../config/idjag-issuance-schema.js';
import { OAuthError } from '../../core/errors.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import { evaluateIssuance } from '../idjag-issuance/policy.js';
import { mintIdJag } from '../idjag-issuance/mint.js';
import { SUBJECT_TOKEN_TYPES, validateSubjectToken } from '../idjag-issuance/subject-token.js';
import { userEmail } from '../oidc/claims.js';
import { parseScope, type Params } from '../params.js';
import type { TokenResponseBody } from '../tokens.js';

export { TOKEN_EXCHANGE_GRANT };
/** refusals the grant audited itself (the token endpoint audits the others: client authentication, grant_types) */
const audited = new WeakSet<OAuthError>();

/** ID-JAG §4.3: the requested and issued token type */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';

/**
 * RFC 8693 token exchange issuing an ID-JAG (ID-JAG §4.3; EMA §4): Portcullis as the enterprise IdP. The client
 * (confidential, authenticated: EMA §7.7, ID-JAG §8.1) presents the user's ID token (or refresh token) from its
 * sign-in here and names the target authorization server (`audience`) and MCP server (`resource`); the admin
 * policy decides, and the answer is a short-lived ID-JAG with token_type N_A and no refresh token (§4.3.4).
 * Every issuance and refusal is audited.
 */
export async function tokenExchangeGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  const client_id = auth.client.client_id;
  let audience: string | undefined;
  let resource: string | undefined;
  let subjectType: string | undefined;
  let user_id: string | undefined;
  try {
    // ID-JAG §8.1: confidential clients only (the token endpoint's grant_types gate already holds this for config)
    if (auth.method === 'none' || auth.client.kind !== 'static') throw new OAuthError('unauthorized_client', 'token exchange needs a confidential pre-registered client');
    const policy = issuanceOf(ctx.settings.config);
    if (!policy || policy.targets.length === 0) throw new OAuthError('unsupported_grant_type', `grant_type ${TOKEN_EXCHANGE_GRANT} is not enabled`);

    // RFC 8693 §2.1 / ID-JAG §4.3: parameters
    const requested = params.required('requested_token_type', { max: 256 });
    if (requested !== ID_JAG_TOKEN_TYPE) throw new OAuthError('invalid_request', `requested_token_type must be ${ID_JAG_TOKEN_TYPE}`);
    subjectType = params.required('subject_token_type', { max: 256 });
    const subjectToken = params.required('subject_token', { max: 8192 });
    if (!SUBJECT_TOKEN_TYPES.includes(subjectType)) throw new OAuthError('invalid_request', 'subject_token_type must be an id_token or a refresh_token of this server');
    // RFC 8693 §2.1: actor tokens are for delegation, whose processing ID-JAG leaves undefined: refused
    if (params.has('actor_token') || params.has('actor_token_type')) throw new OAuthError('invalid_request', 'actor_token is not supported');
    // EMA §4: audience REQUIRED, exactly the RAS issuer; one per request (one aud per ID-JAG, ID-JAG §8.3)
    const audiences = params.many('audience', { max: 2048 });
    if (audiences.length === 0) throw new OAuthError('invalid_request', 'audience is required (the target authorization server issuer)');
    if (audiences.length > 1) throw new OAuthError('invalid_target', 'request exactly one audience');
    audience = audiences[0]!;
    // spec-checklist §4.8: resource REQUIRED here (EMA draft, conformance IdP), one per request
    const resources = params.many('resource', { max: 2048 });
    if (resources.length === 0) throw new OAuthError('invalid_request', 'resource is required (the MCP server identifier)');
    if (resources.length > 1) throw new OAuthError('invalid_target', 'request exactly one resource');
    resource = resources[0]!;
    if (params.has('authorization_details')) throw new OAuthError('invalid_request', 'authorization_details is not supported');
    const scope = parseScope(params.one('scope', { max: 1024 }));

    // ID-JAG §4.3.3: validate the subject token (aud = this client; ours; user enabled; grant live)
    const subject = await validateSubjectToken(ctx, subjectType, subjectToken, client_id);
    user_id = subject.user.id;

    const decision = evaluateIssuance(policy, { audience, resource, client_id, user: subject.user, scope });
    if (!decision.ok) throw new OAuthError(decision.error, decision.description, decision.reason);

    const email = decision.include_email ? await userEmail(ctx.store, subject.user.id) : undefined;
    const jag = await mintIdJag(
      ctx,
      { sub: subject.user.id, aud: audience, client_id: decision.client_id_at_target, resource, scope: decision.scope, auth_time: subject.auth_time, email },
      policy.ttl_s,
    );
    ctx.log.info({ event: 'idjag_issued', client_id, audience, resource, jti: jag.jti }, 'ID-JAG issued');
    await ctx.audit.record(
      'idjag.issued',
      { jti: jag.jti, audience, resource, scope: decision.scope, client_id_at_target: decision.client_id_at_target, subject_token_type: subjectType, grant_id: subject.grant.id, expires_at: jag.exp },
      { user_id, client_id, subject: jag.jti },
    );
    // ID-JAG §4.3.4: token_type N_A (not an access token), scope always sent, no refresh token
    return { issued_token_type: ID_JAG_TOKEN_TYPE, access_token: jag.token, token_type: 'N_A', scope: decision.scope.join(' '), expires_in: jag.expires_in };
  } catch (e) {
    if (e instanceof OAuthError) {
      await recordRefusal(ctx, e, { audience, resource, subject_token_type: subjectType, user_id, client_id });
      audited.add(e);
    }
    throw e;
  }
}

/**
 * For the token endpoint: a token-exchange request refused before the grant ran (client authentication, a client
 * without the grant type, trust policy) is audited too, naming the client it claimed to be.
 */
export async function auditTokenExchangeRefusal(ctx: AsContext, params: Params, e: OAuthError): Promise<void> {
  if (audited.has(e)) return;
  const claimed = (name: string): string | undefined => {
    try {
      return params.one(name, { max: 2048 });
    } catch {
      return undefined;
    }
  };
  await recordRefusal(ctx, e, { audience: claimed('audience'), resource: claimed('resource'), subject_token_type: claimed('subject_token_type'), client_id: claimed('client_id') });
}

async function recordRefusal(ctx: AsContext, e: OAuthError, o: { audience?: string | undefined; resource?: string | undefined; subject_token_type?: string | undefined; user_id?: string | undefined; client_id?: string | undefined }): Promise<void> {
  await ctx.audit.record(
    'idjag.issue_refused',
    { error: e.code, reason: e.internal ?? e.description ?? e.code, audience: o.audience ?? null, resource: o.resource ?? null, subject_token_type: o.subject_token_type ?? null },
    { user_id: o.user_id ?? null, client_id: o.client_id ?? null, subject: o.audience ?? null },
  );
}
