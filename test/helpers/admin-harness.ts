import { ISSUER, PUBLIC_CLIENT, REDIRECT, startHarness, type Harness } from './as-harness.js';
import { sha256 } from '../../src/core/random.js';
import { basicAuth as basic } from './idjag.js';

/** the admin API's resource and base URL in the harness */
export const ADMIN_RESOURCE = `${ISSUER}/admin`;
export const API = '/admin/api/v1';
export const ADMIN_CLIENT = 'test-admin';
export const ADMIN_SECRET = 'admin-secret-0123456789';
/** a client_credentials client without portcullis:admin */
export const MACHINE_CLIENT = 'test-machine';
export const MACHINE_SECRET = 'machine-secret-0123456789';
export const SESSION_COOKIE = 'portcullis_session';

/** The AS harness with roles, an admin client (client_credentials, portcullis:admin) and a machine client. */
export async function startAdminHarness(): Promise<Harness> {
  process.env.TEST_ADMIN_SECRET = ADMIN_SECRET;
  process.env.TEST_MACHINE_SECRET = MACHINE_SECRET;
  return startHarness({
    roles: { admin: ['notes:write'], reader: ['notes:read'], editor: ['notes:write'] },
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT] },
      { client_id: ADMIN_CLIENT, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_ADMIN_SECRET', scopes: ['portcullis:admin'] },
      { client_id: MACHINE_CLIENT, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'TEST_MACHINE_SECRET', scopes: ['notes:read'] },
    ],
  });
}

export { basic };

/** POST /token grant_type=client_credentials; returns the response and its JSON */
export async function clientCredentials(h: Harness, form: Record<string, string>, auth = basic(ADMIN_CLIENT, ADMIN_SECRET)): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await h.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

/** an access token for the admin API */
export async function adminToken(h: Harness): Promise<string> {
  const { res, body } = await clientCredentials(h, { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' });
  if (res.status !== 200) throw new Error(`admin token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** a signed-in browser session of `user_id`: the cookie header value */
export async function sessionCookie(h: Harness, user_id: string, sid = `sid-${user_id}-${Math.random().toString(36).slice(2)}`): Promise<string> {
  await h.store.putSession({ id_hash: sha256(sid), user_id, created_at: h.clock.now, expires_at: h.clock.now + 3_600_000 });
  return `${SESSION_COOKIE}=${sid}`;
}

/** one admin API call with a bearer token (or other headers), JSON body when given */
export async function api(h: Harness, method: string, path: string, opts: { token?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ res: Response; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  const res = await h.request(`${API}/${path}`, { method, headers, ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  return { res, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** a live grant of `user_id` for `client_id` (with a code, as /authorize would leave it) */
export async function seedGrant(h: Harness, id: string, user_id: string, client_id: string, scope: string[]): Promise<void> {
  await h.store.createGrantWithCode(
    { id, user_id, client_id, resource: `${ISSUER}/mcp`, scope, created_at: h.clock.now, auth_time: null, revoked_at: null, revoked_reason: null },
    { code_hash: `code-${id}`, grant_id: id, client_id, user_id, redirect_uri: REDIRECT, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', scope, resource: `${ISSUER}/mcp`, nonce: null, auth_time: 0, created_at: h.clock.now, expires_at: h.clock.now + 60_000, consumed_at: null },
  );
}
