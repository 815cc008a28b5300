import { driveAuthorization } from '../helpers/browserless.js';
import { ISSUER, PUBLIC_CLIENT, REDIRECT, RESOURCE, pkcePair, type Harness } from '../helpers/as-harness.js';

export interface AuthzOptions {
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  resource?: string | string[] | null;
  state?: string;
  extra?: Record<string, string>;
  decision?: 'approve' | 'deny';
}

export function authorizeUrl(challenge: string, o: AuthzOptions = {}): string {
  const u = new URL(`${ISSUER}/authorize`);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', o.client_id ?? PUBLIC_CLIENT);
  u.searchParams.set('redirect_uri', o.redirect_uri ?? 'http://127.0.0.1:53111/callback');
  u.searchParams.set('code_challenge', challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('state', o.state ?? 'st-123');
  if (o.scope !== undefined) u.searchParams.set('scope', o.scope);
  if (o.resource !== null) for (const r of [o.resource ?? RESOURCE].flat()) u.searchParams.append('resource', r);
  for (const [k, v] of Object.entries(o.extra ?? {})) u.searchParams.set(k, v);
  return u.toString();
}

/** Runs /authorize → login → consent and returns the redirect parameters and the PKCE verifier. */
export async function getCode(h: Harness, o: AuthzOptions = {}): Promise<{ params: URLSearchParams; verifier: string; redirect_uri: string }> {
  const { verifier, challenge } = pkcePair();
  const { location } = await driveAuthorization((url, init) => h.request(url, init), authorizeUrl(challenge, o), {
    username: 'alice',
    password: 'alice-password',
    decision: o.decision ?? 'approve',
  });
  const loc = new URL(location);
  return { params: loc.searchParams, verifier, redirect_uri: o.redirect_uri ?? 'http://127.0.0.1:53111/callback' };
}

export function tokenRequest(h: Harness, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
  return h.request('/token', { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

export async function exchange(h: Harness, o: AuthzOptions = {}): Promise<{ res: Response; body: Record<string, unknown>; code: string; verifier: string }> {
  const { params, verifier, redirect_uri } = await getCode(h, o);
  const code = params.get('code')!;
  const res = await tokenRequest(h, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri, client_id: o.client_id ?? PUBLIC_CLIENT, resource: RESOURCE });
  return { res, body: (await res.json()) as Record<string, unknown>, code, verifier };
}

export { REDIRECT };
