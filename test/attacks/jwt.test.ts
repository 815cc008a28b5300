/**
 * Issue 10 attack suite — forged and misused JWT access tokens at the gateway (RFC 8725; RFC 9068 §4; MCP [AUTH]
 * "Token Handling"). Every attack gets 401 invalid_token with the Bearer challenge, never reaches the upstream,
 * writes nothing. `[bites: <control>]`: scripts/mutation-run.mjs disables that control and this case must fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHmac, createPublicKey, KeyObject, sign as cryptoSign } from 'node:crypto';
import { expectInvalidToken, mcp, obtainTokens, refusedWithoutWrite, signWithServerKey, startTarget, toolsCall, type AttackTarget } from './harness.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(() => t.close());

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = (): number => Math.floor(t.clock.now / 1000);
const claims = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: t.issuer, sub: 'user-alice', aud: t.resource, client_id: 'atk-public', scope: 'notes:read', iat: now(), exp: now() + 300, jti: `j-${Math.random()}`, grant_id: 'g-none', ...o });

/** the token is refused at the gateway: 401 invalid_token, upstream untouched, nothing stored */
async function refusedAtGateway(token: string, path = '/mcp'): Promise<void> {
  const upstreamBefore = t.upstream.length;
  const { result } = await refusedWithoutWrite(t, () => mcp(t, token, toolsCall('list_notes'), {}, path));
  await expectInvalidToken(t, result, upstreamBefore);
}

/** RFC 6750 §3.1: a malformed Authorization header or a token outside it is a 400 invalid_request */
async function invalidRequestAtGateway(res: Response, upstreamBefore: number): Promise<void> {
  assert.equal(res.status, 400, await res.text());
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_request"/);
  assert.equal(t.upstream.length, upstreamBefore, 'the upstream was never reached');
}

/** signs header.payload with the server key by hand (jose refuses to produce some of these headers) */
function rawSign(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const key = KeyObject.from(t.ctx.keys.signingKey().privateKey as never);
  return `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** a grant row for forged tokens, so that only the property under attack is wrong */
async function liveGrant(): Promise<string> {
  const id = `g-${Math.random().toString(36).slice(2)}`;
  await t.store.createGrant({ id, user_id: 'user-alice', client_id: 'atk-public', resource: t.resource, scope: ['notes:read'], created_at: t.clock.now, auth_time: null, revoked_at: null, revoked_reason: null });
  return id;
}

describe('attack: forged and misused access tokens at the gateway (RFC 8725; RFC 9068 §4)', () => {
  let grant: string;
  before(async () => {
    grant = await liveGrant();
  });

  it('control: a correctly signed token for this resource is accepted (the forgeries below differ in one property each) (rs.token.typ)', async () => {
    const res = await mcp(t, await signWithServerKey(t, claims({ grant_id: grant })), toolsCall('list_notes'));
    assert.equal(res.status, 200, await res.text());
  });

  it('alg "none" (unsecured JWT) is refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const kid = t.ctx.keys.signingKey().kid;
    await refusedAtGateway(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims({ grant_id: grant }))}.`);
  });

  it('alg "None" / "NONE" spelled otherwise is refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    await refusedAtGateway(`${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims({ grant_id: grant }))}.`);
  });

  it('HS256 signed with the server public key as the HMAC secret (key confusion) is refused (rs.token.alg-allow-list) [bites: rs.signature, rs.alg]', async () => {
    const jwk = t.ctx.keys.jwks().keys[0]!;
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const head = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })}.${b64(claims({ grant_id: grant }))}`;
    await refusedAtGateway(`${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`);
  });

  it('RS256/PS256/EdDSA (outside the ES256 allow-list) are refused (rs.token.alg-allow-list) [bites: rs.signature, rs.alg]', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: t.ctx.keys.signingKey().kid }).sign(privateKey));
  });

  it('unknown kid is refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker-kid' }).sign(privateKey));
  });

  it('jku header pointing at the attacker\'s JWKS is ignored: refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'evil', jku: 'https://attacker.example/jwks.json' }).sign(privateKey));
  });

  it('x5u header pointing at the attacker\'s certificate is ignored: refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'evil', x5u: 'https://attacker.example/cert.pem' }).sign(privateKey));
  });

  it('embedded jwk header (the attacker\'s own key, our kid) is ignored: refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: t.ctx.keys.signingKey().kid, jwk }).sign(privateKey));
  });

  it('signature of another key under our kid is refused (rs.token.alg-allow-list) [bites: rs.signature]', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refusedAtGateway(await new SignJWT(claims({ grant_id: grant })).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: t.ctx.keys.signingKey().kid }).sign(privateKey));
  });

  it('crit with an unknown extension is refused even when signed by our key (RFC 7515 §4.1.11) (rs.token.alg-allow-list)', async () => {
    const kid = t.ctx.keys.signingKey().kid;
    await refusedAtGateway(rawSign({ alg: 'ES256', typ: 'at+jwt', kid, crit: ['x-portcullis-unknown'], 'x-portcullis-unknown': 1 }, claims({ grant_id: grant })));
  });

  it('typ "JWT" (an ID token or a generic JWT) is refused (rs.token.typ) [bites: rs.typ]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant }), { typ: 'JWT' }));
  });

  it('typ missing is refused (rs.token.typ) [bites: rs.typ]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant }), { typ: undefined }));
  });

  it('typ of an ID-JAG (oauth-id-jag+jwt) is refused as an access token (rs.token.typ) [bites: rs.typ]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant }), { typ: 'oauth-id-jag+jwt' }));
  });

  it('typ of the upstream identity assertion (portcullis-identity+jwt) is refused as an access token (gw.identity.assertion) [bites: rs.typ]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant }), { typ: 'portcullis-identity+jwt' }));
  });

  it('expired token (exp past the skew) is refused (rs.token.exp) [bites: rs.time]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, iat: now() - 4000, exp: now() - 3000 })));
  });

  it('not-yet-valid token (nbf in the future) is refused (rs.token.exp) [bites: rs.time]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, nbf: now() + 3600 })));
  });

  it('far-future iat (a token "issued" a year from now) is refused (rs.token.iat-not-future) [bites: rs.time]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, iat: now() + 365 * 86400, exp: now() + 365 * 86400 + 300 })));
  });

  it('exp as a string is refused (rs.token.exp)', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, exp: String(now() + 300) })));
  });

  it('wrong iss (another issuer) is refused (rs.token.iss-exact) [bites: rs.iss]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, iss: 'https://evil.example' })));
  });

  it('iss with a trailing slash is refused: compared exactly (rs.token.iss-exact) [bites: rs.iss]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, iss: `${t.issuer}/` })));
  });

  it('wrong aud is refused (rs.token.aud-exact) [bites: rs.aud]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, aud: 'https://other.example/mcp' })));
  });

  it('aud array naming other audiences only is refused (rs.token.aud-exact) [bites: rs.aud]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, aud: ['https://other.example/mcp', t.otherResource] })));
  });

  it('a generic audience (the issuer itself) is refused (rs.token.aud-exact) [bites: rs.aud]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, aud: t.issuer })));
  });

  it('aud with a trailing slash is refused: compared exactly (rs.token.aud-exact) [bites: rs.aud]', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, aud: `${t.resource}/` })));
  });

  it('a real token issued for another resource is refused here (gw.upstreams.isolated) [bites: rs.aud]', async () => {
    const other = await obtainTokens(t, { resource: t.otherResource, scope: 'other:read' });
    const ok = await mcp(t, other.access_token, toolsCall('x'), {}, '/other');
    assert.equal(ok.status, 200, 'accepted where it belongs');
    await refusedAtGateway(other.access_token, '/mcp');
  });

  it('truncated signature is refused (gw.auth.invalid-token) [bites: rs.signature]', async () => {
    const tok = await signWithServerKey(t, claims({ grant_id: grant }));
    await refusedAtGateway(tok.slice(0, -10));
  });

  it('truncated token (two segments) is refused (gw.auth.invalid-token)', async () => {
    const tok = await signWithServerKey(t, claims({ grant_id: grant }));
    await refusedAtGateway(tok.split('.').slice(0, 2).join('.'));
  });

  it('padded base64url segments ("=" inside the token) are refused: 400 invalid_request (gw.auth.invalid-token)', async () => {
    const [h, p, s] = (await signWithServerKey(t, claims({ grant_id: grant }))).split('.');
    const upstreamBefore = t.upstream.length;
    const { result } = await refusedWithoutWrite(t, () => mcp(t, `${h}==.${p}.${s}`, toolsCall('list_notes')));
    await invalidRequestAtGateway(result, upstreamBefore);
  });

  it('padded signature segment ("=" at the end) is refused (gw.auth.invalid-token)', async () => {
    await refusedAtGateway(`${await signWithServerKey(t, claims({ grant_id: grant }))}=`);
  });

  it('standard base64 (+ and /) instead of base64url is refused (gw.auth.invalid-token)', async () => {
    const [h, p, s] = (await signWithServerKey(t, claims({ grant_id: grant }))).split('.');
    await refusedAtGateway(`${h}.${p}.${Buffer.from(s!, 'base64url').toString('base64')}`);
  });

  it('JWE-shaped token (five segments) is refused (gw.auth.invalid-token)', async () => {
    const tok = await signWithServerKey(t, claims({ grant_id: grant }));
    await refusedAtGateway(`${tok}.e30.e30`);
  });

  it('oversized token (over 8 KiB) is refused before parsing (gw.auth.invalid-token)', async () => {
    await refusedAtGateway(await signWithServerKey(t, claims({ grant_id: grant, pad: 'x'.repeat(9000) })));
  });

  it('a token of a revoked grant is refused (gw.auth.invalid-token)', async () => {
    const tok = await obtainTokens(t);
    const grantId = JSON.parse(Buffer.from(tok.access_token.split('.')[1]!, 'base64url').toString()).grant_id as string;
    await t.store.revokeGrant(grantId, t.clock.now, 'attack suite');
    await refusedAtGateway(tok.access_token);
  });

  it('a token in the query string is refused: header only (rs.bearer.header-only)', async () => {
    const tok = await obtainTokens(t);
    const upstreamBefore = t.upstream.length;
    const res = await t.fetch(`/mcp?access_token=${tok.access_token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(toolsCall('list_notes')) });
    await invalidRequestAtGateway(res, upstreamBefore);
  });

  it('two Bearer tokens in one Authorization header are refused (rs.bearer.header-only)', async () => {
    const tok = await obtainTokens(t);
    const upstreamBefore = t.upstream.length;
    const res = await mcp(t, null, toolsCall('list_notes'), { authorization: `Bearer ${tok.access_token}, Bearer ${tok.access_token}` });
    await invalidRequestAtGateway(res, upstreamBefore);
  });
});
