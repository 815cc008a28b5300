import { constantTimeEqual } from '../../core/random.js';
import type { AsContext } from '../../as/context.js';
import { currentSession, sessionCsrf } from '../../as/endpoints/session.js';
import { ADMIN_SCOPE, adminResource } from '../../as/grants/client_credentials.js';
import { extractBearer, TokenRejected, type AccessTokenVerifier } from '../../rs/verify.js';
import type { UserRecord } from '../../store/types.js';
import { AdminError } from './http.js';

/** the role whose holders may use the admin API from a browser session */
export const ADMIN_ROLE = 'admin';
export const CSRF_HEADER = 'x-csrf-token';
const CSRF_PURPOSE = 'admin-api';
const REALM = 'realm="portcullis-admin"';

/** who is calling: a token holder (client credentials) or a signed-in admin user */
export type Actor =
  | { kind: 'token'; sub: string; client_id: string; name: string }
  | { kind: 'session'; user: UserRecord; name: string; csrf: string };

/** the actor fields of an `admin.action` audit event */
export function auditActor(a: Actor): { user_id: string | null; client_id: string | null } {
  if (a.kind === 'session') return { user_id: a.user.id, client_id: null };
  return { user_id: a.sub === a.client_id ? null : a.sub, client_id: a.client_id };
}

const challenge = (status: 401 | 403, code: string, description: string, error?: string): AdminError => {
  const parts = [REALM, `scope="${ADMIN_SCOPE}"`];
  if (error) parts.push(`error="${error}"`);
  return new AdminError(status, code, description, { 'www-authenticate': `Bearer ${parts.join(', ')}` });
};

/**
 * Admin API authentication (issue 3 item 7), one of:
 * - `Authorization: Bearer <JWT>`: verified as the gateway verifies (RFC 9068: signature, iss, typ, exp, revoked
 *   grant) with audience `${issuer}/admin`, and carrying scope portcullis:admin (RFC 6750 §3.1 challenges);
 * - the browser session of a user holding the `admin` role; unsafe methods also need the `X-CSRF-Token` header
 *   (from GET session), which a cross-site form cannot send. An Authorization header always wins over a cookie.
 */
export async function authenticate(ctx: AsContext, verifier: AccessTokenVerifier, req: Request): Promise<Actor> {
  const header = req.headers.get('authorization');
  if (header !== null) {
    const bearer = extractBearer(req);
    // RFC 6750 §3.1: a malformed request is 400 invalid_request; another scheme (Basic…) gets the plain challenge
    if (bearer.kind === 'invalid') throw new AdminError(400, 'invalid_request', bearer.description, { 'www-authenticate': `Bearer ${REALM}, error="invalid_request"` });
    if (bearer.kind === 'none') throw challenge(401, 'invalid_token', 'an admin token or an admin session is required');
    let claims;
    try {
      claims = await verifier.verify(bearer.token, adminResource(ctx.settings));
    } catch (e) {
      if (!(e instanceof TokenRejected)) throw e;
      ctx.log.info({ event: 'admin_token_rejected', reason: e.reason }, 'admin API token refused');
      throw challenge(401, 'invalid_token', 'the access token is invalid', 'invalid_token');
    }
    if (!claims.scope.includes(ADMIN_SCOPE)) throw challenge(403, 'insufficient_scope', `the token lacks the ${ADMIN_SCOPE} scope`, 'insufficient_scope');
    return { kind: 'token', sub: claims.sub, client_id: claims.client_id, name: claims.sub === claims.client_id ? `client:${claims.client_id}` : claims.sub };
  }
  const session = await currentSession(ctx, req);
  if (!session) throw challenge(401, 'invalid_token', 'an admin token or an admin session is required');
  if (!session.user.roles.includes(ADMIN_ROLE)) throw new AdminError(403, 'access_denied', `the signed-in user does not hold the ${ADMIN_ROLE} role`);
  const csrf = sessionCsrf(session, CSRF_PURPOSE);
  if (!['GET', 'HEAD'].includes(req.method)) {
    const sent = req.headers.get(CSRF_HEADER);
    if (!sent || !constantTimeEqual(sent, csrf)) throw new AdminError(403, 'access_denied', 'the X-CSRF-Token header is missing or wrong');
  }
  return { kind: 'session', user: session.user, name: session.user.username, csrf };
}
