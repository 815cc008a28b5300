/**
 * The physical limit of the token endpoint on this machine, for bench/token-endpoint.ts: a bare node:http
 * server that does only what every token response needs — read the form, authenticate the client
 * (client_secret_basic, constant-time), rotate an in-memory refresh token, sign an RFC 9068 ES256 JWT with jose
 * — and nothing a real authorization server adds (no store, no audit, no logs, no policy). Both real servers are
 * reported as a fraction of it, so the figure says how much room is left as well as who is faster.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';

export interface LimitReady {
  type: 'ready';
  base: string;
  resource: string;
  refreshTokens: string[];
}

export async function startLimitServer(o: { ccId: string; ccSecret: string; publicId: string; chains: number }): Promise<LimitReady> {
  const { privateKey } = await generateKeyPair('ES256');
  const basic = Buffer.from(`Basic ${Buffer.from(`${encodeURIComponent(o.ccId)}:${encodeURIComponent(o.ccSecret)}`).toString('base64')}`);
  const refresh = new Map<string, string>(); // token → subject
  const refreshTokens = Array.from({ length: o.chains }, (_, i) => {
    const t = randomBytes(32).toString('base64url');
    refresh.set(t, `user-${i}`);
    return t;
  });
  let issuer = '';
  let resource = '';
  const sign = (sub: string, client_id: string, scope: string) =>
    new SignJWT({ client_id, scope, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'limit' })
      .setIssuer(issuer)
      .setSubject(sub)
      .setAudience(resource)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const reply = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      const answer = async (): Promise<void> => {
        const grant = form.get('grant_type');
        const scope = form.get('scope') ?? 'notes:read';
        if (grant === 'client_credentials') {
          const auth = Buffer.from(req.headers.authorization ?? '');
          if (auth.length !== basic.length || !timingSafeEqual(auth, basic)) return reply(401, { error: 'invalid_client' });
          return reply(200, { access_token: await sign(o.ccId, o.ccId, scope), token_type: 'Bearer', expires_in: 600, scope });
        }
        if (grant === 'refresh_token' && form.get('client_id') === o.publicId) {
          const old = form.get('refresh_token') ?? '';
          const sub = refresh.get(old);
          if (sub === undefined) return reply(400, { error: 'invalid_grant' });
          refresh.delete(old);
          const next = randomBytes(32).toString('base64url');
          refresh.set(next, sub);
          return reply(200, { access_token: await sign(sub, o.publicId, scope), token_type: 'Bearer', expires_in: 600, refresh_token: next, scope });
        }
        reply(400, { error: 'unsupported_grant_type' });
      };
      answer().catch(() => reply(500, { error: 'server_error' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  resource = `${issuer}/mcp`;
  return { type: 'ready', base: issuer, resource, refreshTokens };
}
