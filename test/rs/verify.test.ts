import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createAccessTokenVerifier, TokenRejected, type AccessTokenVerifierOptions, type TokenRejectionReason } from '../../src/rs/verify.js';

const ISSUER = 'https://auth.example.com';
const AUD = 'https://mcp.example.com/mcp';
const NOW = 1_900_000_000; // a fixed clock, seconds; far from the real time so that jose's own default cannot pass
const SKEW = 30;

let key: CryptoKey;
let otherKey: CryptoKey;
let getKey: AccessTokenVerifierOptions['getKey'];

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  getKey = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
});

const baseClaims = (): JWTPayload => ({
  iss: ISSUER,
  aud: AUD,
  sub: 'user-1',
  client_id: 'https://client.example/cimd.json',
  iat: NOW - 10,
  exp: NOW + 600,
  jti: 'jti-1',
  scope: 'notes:read notes:write',
  grant_id: 'g-1',
});

async function sign(over: JWTPayload & { drop?: string[] } = {}, header: Record<string, unknown> = {}, signer = key) {
  const { drop = [], ...rest } = over;
  const payload: JWTPayload = { ...baseClaims(), ...rest };
  for (const c of drop) delete payload[c];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header }).sign(signer);
}

function verifier(over: Partial<AccessTokenVerifierOptions> = {}) {
  return createAccessTokenVerifier({ issuer: ISSUER, getKey, clock: () => NOW * 1000, skewSeconds: SKEW, algorithms: ['ES256'], ...over });
}

async function rejects(token: Promise<string> | string, reason: TokenRejectionReason, v = verifier(), aud = AUD) {
  await assert.rejects(v.verify(await token, aud), (e: unknown) => {
    assert.ok(e instanceof TokenRejected, String(e));
    assert.equal(e.reason, reason, e.message);
    return true;
  });
}

describe('RFC 9068 §4 access token validation', () => {
  it('accepts a valid token and maps its claims (rs.token.valid)', async () => {
    const c = await verifier().verify(await sign(), AUD);
    assert.equal(c.sub, 'user-1');
    assert.equal(c.client_id, 'https://client.example/cimd.json');
    assert.deepEqual(c.scope, ['notes:read', 'notes:write']);
    assert.equal(c.grant_id, 'g-1');
    assert.equal(c.jti, 'jti-1');
    assert.equal(c.payload.iss, ISSUER);
  });

  it('RFC 9068 §2.2.3 absent scope → [] (rs.token.scope)', async () => {
    assert.deepEqual((await verifier().verify(await sign({ drop: ['scope'] }), AUD)).scope, []);
    await rejects(sign({ scope: ['a'] as unknown as string }), 'malformed');
  });

  it('RFC 9068 §4 typ at+jwt required; application/at+jwt accepted (rs.token.typ)', async () => {
    await verifier().verify(await sign({}, { typ: 'application/at+jwt' }), AUD);
    await rejects(sign({}, { typ: 'JWT' }), 'wrong_typ');
    await rejects(sign({}, { typ: 'at+jwt+x' }), 'wrong_typ');
    await rejects(sign({}, { typ: undefined }), 'wrong_typ');
  });

  it('RFC 9068 §4 iss compared exactly (rs.token.iss-exact)', async () => {
    await rejects(sign({ iss: 'https://evil.example.com' }), 'wrong_issuer');
    await rejects(sign({ iss: `${ISSUER}/` }), 'wrong_issuer');
  });

  it('RFC 8707 / MCP "Token Handling": aud must contain this resource exactly (rs.token.aud-exact)', async () => {
    await rejects(sign({ aud: 'https://other.example.com/mcp' }), 'wrong_audience');
    await rejects(sign({ aud: `${AUD}/` }), 'wrong_audience');
    await rejects(sign({ aud: 'https://mcp.example.com' }), 'wrong_audience');
    await rejects(sign(), 'wrong_audience', verifier(), 'https://mcp.example.com/other');
    await verifier().verify(await sign({ aud: ['https://x.example', AUD] }), AUD);
  });

  it('RFC 9068 §4 exp checked with the injected clock and skew (rs.token.exp)', async () => {
    await rejects(sign({ exp: NOW - SKEW - 1 }), 'expired');
    await rejects(sign({ exp: NOW - SKEW }), 'expired');
    await verifier().verify(await sign({ exp: NOW - SKEW + 1 }), AUD);
    // a token valid now per the real clock is judged by the injected one
    await rejects(sign({ exp: NOW - 3600 }), 'expired', verifier({ skewSeconds: 0 }));
  });

  it('RFC 7519 §4.1.5 nbf checked with skew (rs.token.nbf)', async () => {
    await rejects(sign({ nbf: NOW + SKEW + 1 }), 'not_yet_valid');
    await verifier().verify(await sign({ nbf: NOW + SKEW - 1 }), AUD);
  });

  it('RFC 9068 §2.2 required claims iss, exp, aud, sub, client_id, iat, jti (rs.token.required-claims)', async () => {
    for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) {
      await rejects(sign({ drop: [claim] }), 'missing_claim');
    }
  });

  it('wrongly typed claims are malformed (rs.token.claim-types)', async () => {
    await rejects(sign({ iat: 'yesterday' as unknown as number }), 'malformed');
    await rejects(sign({ sub: 42 as unknown as string }), 'malformed');
    await rejects(sign({ client_id: '' }), 'malformed');
    await rejects(sign({ grant_id: 7 as unknown as string }), 'malformed');
  });

  it('malformed tokens (rs.token.malformed)', async () => {
    for (const t of ['abc', 'a.b.c', '', 'e30.e30.', `${'a'.repeat(9000)}.b.c`]) await rejects(t, 'malformed');
  });

  it('RFC 9068 §4 signature: another key, an unknown kid, a key source refusing → bad_signature (rs.token.signature)', async () => {
    await rejects(sign({}, {}, otherKey), 'bad_signature');
    await rejects(sign({}, { kid: 'nope' }), 'bad_signature');
    const t = await sign();
    const [h, p] = t.split('.');
    await rejects(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'bad_signature');
    await rejects(t, 'bad_signature', verifier({ getKey: () => Promise.reject(new Error('unknown kid')) }));
  });

  it('a key source that times out is not the token’s fault: the error passes through', async () => {
    const v = verifier({ getKey: () => Promise.reject(new errors.JWKSTimeout()) });
    await assert.rejects(v.verify(await sign(), AUD), errors.JWKSTimeout);
  });

  it('RFC 9068 §4 alg allow-list: HS256 and none refused (rs.token.alg-allow-list)', async () => {
    const hs = await new SignJWT(baseClaims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new Uint8Array(32));
    await rejects(hs, 'alg_not_allowed');
    const none = new UnsecuredJWT(baseClaims()).encode();
    await rejects(none, 'alg_not_allowed');
    assert.throws(() => verifier({ algorithms: ['none'] }), TypeError);
    assert.throws(() => verifier({ algorithms: [] }), TypeError);
  });

  it('ARCHITECTURE "Revocation": a revoked grant’s tokens are refused (rs.token.revoked)', async () => {
    const revoked = new Set(['g-1']);
    await rejects(sign(), 'revoked', verifier({ isGrantRevoked: (g) => revoked.has(g) }));
    await rejects(sign(), 'revoked', verifier({ isGrantRevoked: async (g) => revoked.has(g) }));
    await verifier({ isGrantRevoked: (g) => revoked.has(g) }).verify(await sign({ grant_id: 'g-2' }), AUD);
    // with a revocation check configured, a token that cannot be revoked is not accepted
    await rejects(sign({ drop: ['grant_id'] }), 'missing_claim', verifier({ isGrantRevoked: () => false }));
  });

  it('rejections never carry the token', async () => {
    const t = await sign({ iss: 'https://evil.example.com' });
    await assert.rejects(verifier().verify(t, AUD), (e: Error) => !e.message.includes(t) && !(e as TokenRejected).detail.includes(t));
  });
});
