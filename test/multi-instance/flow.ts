/**
 * The HTTP a client does against running `serve` processes (no SDK): authorization by form posts, token
 * requests to any instance, and one MCP call to any instance's gateway. Shared by the multi-instance tests.
 */
import { CookieJar, driveAuthorization } from '../helpers/browserless.js';
import { pkceS256 } from '../helpers/pkce.js';

export const CLIENT = 'multi-instance-test';
export const REDIRECT = 'http://127.0.0.1:53999/callback';

/** a static public client with a loopback redirect URI, in config-file YAML */
export const CLIENT_YAML = `clients:\n  - client_id: ${CLIENT}\n    client_name: Multi-instance test\n    redirect_uris: ["http://127.0.0.1/callback"]\n`;

export interface TokenSet {
  access_token: string;
  refresh_token: string;
}

export interface Flow {
  /** login (once per jar) + consent at the issuer: a fresh code and its verifier */
  code(): Promise<{ code: string; verifier: string }>;
  /** POST /token at `base` (any instance); the status and the parsed body */
  token(base: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  redeem(base: string, c: { code: string; verifier: string }): Promise<{ status: number; body: Record<string, unknown> }>;
  refresh(base: string, refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** status of a tools/list through the gateway at `base` */
  mcp(base: string, accessToken: string): Promise<number>;
}

export function flow(o: { issuer: string; resource: string; username: string; password: string; scope?: string }): Flow {
  const jar = new CookieJar();
  const token = async (base: string, params: Record<string, string>) => {
    const res = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { status: res.status, body: { raw: text } };
    }
  };
  return {
    async code() {
      const { verifier, challenge } = pkceS256();
      const u = new URL(`${o.issuer}/authorize`);
      const q = { response_type: 'code', client_id: CLIENT, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: o.scope ?? 'notes:read', resource: o.resource };
      for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
      const { location } = await driveAuthorization((url, init) => fetch(url, init), u.toString(), { username: o.username, password: o.password, jar });
      const code = new URL(location).searchParams.get('code');
      if (!code) throw new Error(`no code in ${location}`);
      return { code, verifier };
    },
    token,
    redeem: (base, c) => token(base, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, client_id: CLIENT, resource: o.resource }),
    refresh: (base, refreshToken) => token(base, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT, resource: o.resource }),
    async mcp(base, accessToken) {
      const res = await fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      await res.body?.cancel();
      return res.status;
    },
  };
}

/** the kid in a JWT's header */
export const kidOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
