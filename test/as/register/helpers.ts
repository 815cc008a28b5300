import { ISSUER, startHarness, type Harness } from '../../helpers/as-harness.js';

export const NATIVE = { application_type: 'native', client_name: 'Native App', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] };

const harnesses: Harness[] = [];
export const closeAll = (): Promise<void[]> => Promise.all(harnesses.splice(0).map((h) => h.close()));

/** A harness with registration on (and whatever else `config` says). */
export async function dcrHarness(registration: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<Harness> {
  const h = await startHarness({ registration: { enabled: true, ...registration }, ...config } as never);
  harnesses.push(h);
  return h;
}

/** POST /register from `ip` (the edge reads it from @hono/node-server's env). */
export function register(h: Harness, body: unknown, o: { ip?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<Response> {
  const req = new Request(`${ISSUER}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...o.headers },
    body: o.raw ?? JSON.stringify(body),
  });
  return Promise.resolve(h.app.fetch(req, { incoming: { socket: { remoteAddress: o.ip ?? '198.51.100.7' } } }));
}

export async function registered(h: Harness, body: unknown = NATIVE): Promise<Record<string, unknown>> {
  const res = await register(h, body);
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function oauthError(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}
