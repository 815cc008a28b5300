import { ISSUER, startHarness, type Harness } from '../../helpers/as-harness.js';

const harnesses: Harness[] = [];
export const closeAll = (): Promise<void[]> => Promise.all(harnesses.splice(0).map((h) => h.close()));

/** A harness with these `rate_limits` (and whatever else `config` says). */
export async function limitedHarness(rateLimits: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<Harness> {
  const h = await startHarness({ rate_limits: rateLimits, ...config } as never);
  harnesses.push(h);
  return h;
}

/** A request whose TCP peer is `peer` (the edge reads it from @hono/node-server's env), optionally forwarded. */
export function from(h: Harness, peer: string, path: string, init: RequestInit & { xff?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.xff !== undefined) headers.set('x-forwarded-for', init.xff);
  const req = new Request(new URL(path, ISSUER), { ...init, headers });
  return Promise.resolve(h.app.fetch(req, { incoming: { socket: { remoteAddress: peer } } }));
}

export const form = (values: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(values).toString(),
});

/** A token request with a code that does not exist: it reaches the grant (400 invalid_grant) unless limited. */
export const bogusCode = { grant_type: 'authorization_code', code: 'no-such-code', code_verifier: 'v'.repeat(43), redirect_uri: 'https://app.example/cb' };

export const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
