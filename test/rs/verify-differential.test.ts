/**
 * ARCHITECTURE "Dependencies": the synchronous node:crypto path of src/rs/fast-verify.ts is allowed only while it
 * decides exactly as jose does. Every token here (the attack tokens of the security suite, hand-made edge cases,
 * fast-check mutations) goes through three verifiers: engine `fast` (cache off), engine `fast` with the cache
 * (asked twice), and engine `jose`; the verdicts (claims, or the rejection reason) must be identical. Tokens that
 * pass the shared shape check are also given to jose's own jwtVerify, whose accept/refuse must agree.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from '../../src/rs/verify.js';
import {
  agree, AUD, b64, bigOf, bufOf, claims, expectReason, HEADER, ISSUER, makeKeys, N, NOW, OTHER_AUD, otherPriv, otherPubJwk, priv, privObject, pubJwk,
  pubPem, SKEW, sigOf, sign, signRaw, stripUndefined, toDer, trio, verdict, withSignature, type Verdict,
} from './helpers/differential.js';

before(makeKeys);

describe('ARCHITECTURE "Dependencies": the node:crypto ES256 path decides as jose does (rs.token.fast-path-differential)', () => {
  it('the attack tokens of the security suite get identical verdicts (rs.token.fast-path-differential)', async () => {
    const t = trio();
    const cases: [string, string, string, string?][] = [];
    const add = (label: string, token: string, expected: string, aud?: string) => cases.push([label, token, expected, aud]);

    add('valid', sign(), 'ok');
    add('typ application/at+jwt', sign({}, { typ: 'application/at+jwt' }), 'ok');
    add('typ AT+JWT (media types are case-insensitive)', sign({}, { typ: 'AT+JWT' }), 'ok');
    add('alg none', new UnsecuredJWT(claims()).encode(), 'alg_not_allowed');
    add('alg none with a signature', withSignature(sign({}, { alg: 'none' }), sign().split('.')[2]!), 'alg_not_allowed');
    add('alg NONE', sign({}, { alg: 'NONE' }), 'alg_not_allowed');
    add('alg es256 (case matters)', sign({}, { alg: 'es256' }), 'alg_not_allowed');
    add('alg missing', sign({}, { alg: undefined }), 'malformed');
    add('alg empty', sign({}, { alg: '' }), 'malformed');
    add('alg a number', sign({}, { alg: 256 }), 'malformed');
    const hsInput = `${b64(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }))}.${b64(JSON.stringify(claims()))}`;
    add('HS256 with the public key (PEM) as the secret', `${hsInput}.${createHmac('sha256', pubPem).update(hsInput).digest('base64url')}`, 'alg_not_allowed');
    add('HS256 with the public JWK as the secret', `${hsInput}.${createHmac('sha256', JSON.stringify(pubJwk)).update(hsInput).digest('base64url')}`, 'alg_not_allowed');
    add('ES384 when only ES256 is allowed', sign({}, { alg: 'ES384' }), 'alg_not_allowed');
    add('unknown kid', sign({}, { kid: 'nope' }), 'bad_signature');
    add('kid a number', sign({}, { kid: 1 }), 'bad_signature');
    add('no kid (two keys match)', sign({}, { kid: undefined }), 'bad_signature');
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const attackerObject = KeyObject.from(attacker.privateKey);
    add('jwk header injection', signRaw(JSON.stringify({ ...HEADER, jwk: attackerJwk }), JSON.stringify(claims()), attackerObject), 'bad_signature');
    add('jwk header injection, no kid', signRaw(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', jwk: attackerJwk }), JSON.stringify(claims()), attackerObject), 'bad_signature');
    add('jku header injection', signRaw(JSON.stringify({ ...HEADER, jku: 'https://evil.example/jwks.json' }), JSON.stringify(claims()), attackerObject), 'bad_signature');
    add('x5u header injection', signRaw(JSON.stringify({ ...HEADER, x5u: 'https://evil.example/cert.pem' }), JSON.stringify(claims()), attackerObject), 'bad_signature');
    add('jku/x5u/jwk headers on a token our key signed (ignored, as jose does)', sign({}, { jku: 'https://evil.example/jwks.json', x5u: 'https://evil.example/c.pem', jwk: attackerJwk }), 'ok');
    add('crit with an unknown extension', sign({}, { crit: ['exp'], exp: 1 }), 'malformed');
    add('crit empty', sign({}, { crit: [] }), 'malformed');
    add('crit not an array', sign({}, { crit: 'b64' }), 'malformed');
    add('crit b64, b64 missing', sign({}, { crit: ['b64'] }), 'malformed');
    add('crit b64 true (understood by jose)', sign({}, { crit: ['b64'], b64: true }), 'ok');
    add('crit b64 false (unencoded payload: not a JWT)', sign({}, { crit: ['b64'], b64: false }), 'malformed');
    add('typ JWT', sign({}, { typ: 'JWT' }), 'wrong_typ');
    add('typ missing', sign({}, { typ: undefined }), 'wrong_typ');
    add('typ at+jwt+x', sign({}, { typ: 'at+jwt+x' }), 'wrong_typ');
    add('typ application/jwt', sign({}, { typ: 'application/jwt' }), 'wrong_typ');
    add('typ a number', sign({}, { typ: 1 }), 'wrong_typ');
    add('expired', sign({ exp: NOW - SKEW - 1 }), 'expired');
    add('expired at the skew boundary', sign({ exp: NOW - SKEW }), 'expired');
    add('exp just inside the skew', sign({ exp: NOW - SKEW + 1 }), 'ok');
    add('exp a string', sign({ exp: String(NOW + 60) }), 'malformed');
    add('exp 1e999 (Infinity)', signRaw(JSON.stringify(HEADER), JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e999')), 'ok');
    add('nbf in the future', sign({ nbf: NOW + SKEW + 1 }), 'not_yet_valid');
    add('nbf within the skew', sign({ nbf: NOW + SKEW }), 'ok');
    add('nbf a string', sign({ nbf: 'now' }), 'malformed');
    add('iat far in the future (jose sets no maxTokenAge; verify.ts refuses it after jose)', sign({ iat: NOW + 10 * 365 * 86400 }), 'not_yet_valid');
    add('iat just inside the skew', sign({ iat: NOW + SKEW }), 'ok');
    add('iat a string', sign({ iat: 'yesterday' }), 'malformed');
    add('wrong iss', sign({ iss: 'https://evil.example.com' }), 'wrong_issuer');
    add('iss with a trailing slash', sign({ iss: `${ISSUER}/` }), 'wrong_issuer');
    add('iss an array', sign({ iss: [ISSUER] }), 'wrong_issuer');
    add('wrong aud', sign({ aud: 'https://other.example.com/mcp' }), 'wrong_audience');
    add('aud with a trailing slash', sign({ aud: `${AUD}/` }), 'wrong_audience');
    add('aud array containing ours', sign({ aud: ['https://x.example', AUD] }), 'ok');
    add('aud array without ours', sign({ aud: ['https://x.example', `${AUD}/`] }), 'wrong_audience');
    add('aud array with a non-string member', sign({ aud: [AUD, 7] }), 'ok');
    add('aud empty array', sign({ aud: [] }), 'wrong_audience');
    add('aud an object', sign({ aud: { AUD } }), 'wrong_audience');
    add('aud a number', sign({ aud: 1 }), 'wrong_audience');
    add('token for another resource', sign(), 'wrong_audience', OTHER_AUD);
    add("another key's signature under our kid", (await new SignJWT(claims()).setProtectedHeader(HEADER).sign(otherPriv)), 'bad_signature');
    add("another published key's token under its own kid", (await new SignJWT(claims()).setProtectedHeader({ ...HEADER, kid: 'k2' }).sign(otherPriv)), 'ok');
    for (const c of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) add(`missing ${c}`, sign({ [c]: undefined }), 'missing_claim');
    add('sub a number', sign({ sub: 42 }), 'malformed');
    add('client_id empty', sign({ client_id: '' }), 'malformed');
    add('scope an array', sign({ scope: ['a'] }), 'malformed');
    add('grant_id a number', sign({ grant_id: 7 }), 'malformed');
    add('no grant_id (no revocation check configured)', sign({ grant_id: undefined }), 'ok');

    const good = sign();
    const [h, p, s] = good.split('.') as [string, string, string];
    add('truncated signature (2 chars)', `${h}.${p}.${s.slice(0, -2)}`, 'bad_signature');
    add('truncated signature (1 char: length 4n+1)', `${h}.${p}.${s.slice(0, -1)}`, 'malformed');
    add('truncated payload', `${h}.${p.slice(0, -4)}.${s}`, 'bad_signature');
    add('empty signature', `${h}.${p}.`, 'bad_signature');
    add('empty payload', `${h}..${s}`, 'bad_signature');
    add('empty header', `.${p}.${s}`, 'malformed');
    add('signature padded with =', `${good}==`, 'malformed');
    add('payload padded with =', `${h}.${p}=.${s}`, 'malformed');
    add('standard base64 alphabet in the signature', withSignature(good, sigOf(good).toString('base64').replace(/=+$/, '')), sigOf(good).toString('base64').replace(/=+$/, '') === s ? 'ok' : 'malformed');
    const last = s[s.length - 1]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = alphabet[alphabet.indexOf(last) | 1]!;
    add('non-canonical base64url (trailing bits set) in the signature', `${h}.${p}.${s.slice(0, -1)}${nonCanonical}`, nonCanonical === last ? 'ok' : 'malformed');
    add('extra dot at the end', `${good}.`, 'malformed');
    add('four segments', `${good}.${s}`, 'malformed');
    add('two segments', `${h}.${p}`, 'malformed');
    add('one segment', h, 'malformed');
    add('empty string', '', 'malformed');
    add('dots only', '..', 'malformed');
    add('leading space', ` ${good}`, 'malformed');
    add('trailing newline', `${good}\n`, 'malformed');
    add('whitespace inside the signature', `${h}.${p}.${s.slice(0, 40)} ${s.slice(40)}`, 'malformed');
    add('a non-ASCII character', `${h}.${p}é.${s}`, 'malformed');
    add('huge token (over 8192 chars)', sign({ pad: 'x'.repeat(9000) }), 'malformed');
    add('large but allowed token', sign({ pad: 'x'.repeat(5000) }), 'ok');
    add('random garbage', 'not-a-token', 'malformed');

    // JSON edge cases, each signed with our key so that only the parsing decides
    const payloadText = JSON.stringify(claims());
    add('duplicate aud keys (last wins: other)', signRaw(JSON.stringify(HEADER), payloadText.replace(/}$/, ',"aud":"https://other.example"}')), 'wrong_audience');
    add('duplicate aud keys (last wins: ours)', signRaw(JSON.stringify(HEADER), payloadText.replace('{', '{"aud":"https://other.example",')), 'ok');
    add('duplicate alg keys in the header (last wins)', signRaw('{"alg":"HS256","typ":"at+jwt","kid":"k1","alg":"ES256"}', payloadText), 'ok');
    add('duplicate alg keys in the header (last wins: none)', signRaw('{"alg":"ES256","typ":"at+jwt","kid":"k1","alg":"none"}', payloadText), 'alg_not_allowed');
    add('duplicate typ keys', signRaw('{"typ":"at+jwt","alg":"ES256","kid":"k1","typ":"JWT"}', payloadText), 'wrong_typ');
    add('__proto__ key in the header', signRaw('{"__proto__":{"alg":"none"},"alg":"ES256","typ":"at+jwt","kid":"k1"}', payloadText), 'ok');
    add('__proto__ key in the payload', signRaw(JSON.stringify(HEADER), payloadText.replace('{', '{"__proto__":{"iss":"x"},')), 'ok');
    add('UTF-8 BOM before the payload JSON', signRaw(JSON.stringify(HEADER), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payloadText)])), 'ok');
    add('UTF-8 BOM before the header JSON', signRaw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(HEADER))]), payloadText), 'ok');
    add('invalid UTF-8 in the payload', signRaw(JSON.stringify(HEADER), Buffer.concat([Buffer.from(payloadText.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])), 'malformed');
    add('invalid UTF-8 in the header', signRaw(Buffer.concat([Buffer.from('{"alg":"ES256","typ":"at+jwt","kid":"k1","x":"'), Buffer.from([0xff]), Buffer.from('"}')]), payloadText), 'malformed');
    add('payload is a JSON array', signRaw(JSON.stringify(HEADER), '[1]'), 'malformed');
    add('payload is JSON null', signRaw(JSON.stringify(HEADER), 'null'), 'malformed');
    add('payload is a JSON string', signRaw(JSON.stringify(HEADER), '"x"'), 'malformed');
    add('payload is not JSON', signRaw(JSON.stringify(HEADER), 'iss=x'), 'malformed');
    add('header is a JSON array', signRaw('[{"alg":"ES256"}]', payloadText), 'malformed');
    add('header is not JSON', signRaw('alg=ES256', payloadText), 'malformed');
    add('payload with trailing whitespace', signRaw(JSON.stringify(HEADER), `${payloadText} \n`), 'ok');

    // signature encodings
    const sig = sigOf(good);
    const r = sig.subarray(0, 32);
    const sBig = bigOf(sig.subarray(32));
    const highS = Buffer.concat([r, bufOf(N - sBig)]);
    const highSVerdict = await agree(t, withSignature(good, highS), 'high-S signature');
    add('high-S signature (WebCrypto and OpenSSL accept the malleated twin alike)', withSignature(good, highS), 'ok' in highSVerdict ? 'ok' : (highSVerdict as { reason: string }).reason);
    add('DER-encoded signature', withSignature(good, toDer(sig)), 'bad_signature');
    add('r = 0', withSignature(good, Buffer.concat([Buffer.alloc(32), sig.subarray(32)])), 'bad_signature');
    add('s = 0', withSignature(good, Buffer.concat([r, Buffer.alloc(32)])), 'bad_signature');
    add('s = n', withSignature(good, Buffer.concat([r, bufOf(N)])), 'bad_signature');
    add('s + n (65 bytes)', withSignature(good, Buffer.concat([r, Buffer.from((sBig + N).toString(16).padStart(66, '0'), 'hex')])), 'bad_signature');
    add('all-zero 64-byte signature', withSignature(good, Buffer.alloc(64)), 'bad_signature');
    add('65-byte signature (extra zero)', withSignature(good, Buffer.concat([sig, Buffer.alloc(1)])), 'bad_signature');
    add('63-byte signature', withSignature(good, sig.subarray(0, 63)), 'bad_signature');
    add('signature of another token', withSignature(good, sigOf(sign({ sub: 'user-2' }))), 'bad_signature');

    for (const [label, token, expected, aud] of cases) {
      const v = await agree(t, token, label, aud);
      expectReason('ok' in v ? ({ reason: 'ok' } as Verdict) : v, expected, label);
    }
    assert.ok(cases.length > 100, `${cases.length} cases`);
  });

  it('key sources: a JWKS, a CryptoKey by kid, a KeyObject, an unusable key, a failing and a timing-out source (rs.token.fast-path-differential)', async () => {
    const token = sign();
    const pubCrypto = (await import('jose')).importJWK(pubJwk, 'ES256') as Promise<CryptoKey>;
    const ck = await pubCrypto;
    const sources: [string, JWTVerifyGetKey][] = [
      ['CryptoKey by kid', async (h) => (h.kid === 'k1' ? ck : Promise.reject(new Error('unknown kid')))],
      ['KeyObject', () => KeyObject.from(ck)],
      ['public JWK object', () => pubJwk as never],
      ['private CryptoKey (jose refuses to verify with it)', () => priv],
      ['a Uint8Array', () => new Uint8Array(32)],
      ['a failing source', () => Promise.reject(new Error('down'))],
      ['a timing-out source', () => Promise.reject(new errors.JWKSTimeout())],
    ];
    for (const [label, getKey] of sources) {
      const t = trio({ getKey });
      await agree(t, token, `${label}: valid token`);
      await agree(t, sign({ sub: 'user-9' }, { kid: 'k2' }), `${label}: other kid`);
      await agree(t, withSignature(token, Buffer.alloc(64, 1)), `${label}: bad signature`);
    }
    // an allow-list with another alg too: ES256 tokens still take the fast path, ES384 ones go to jose
    const es384 = await generateKeyPair('ES384', { extractable: true });
    const both = trio({ algorithms: ['ES256', 'ES384'], getKey: createLocalJWKSet({ keys: [pubJwk, { ...(await exportJWK(es384.publicKey)), kid: 'k3', alg: 'ES384' }] }) });
    await agree(both, token, 'ES256 with ES384 allowed');
    await agree(both, await new SignJWT(claims()).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: 'k3' }).sign(es384.privateKey), 'ES384 token');
  });

  it('revocation and a missing grant_id decide the same, cache or not (rs.token.fast-path-differential)', async () => {
    const revoked = new Set(['g-2']);
    for (const isGrantRevoked of [(g: string) => revoked.has(g), async (g: string) => revoked.has(g)]) {
      const t = trio({ isGrantRevoked });
      expectReason(await agree(t, sign({ grant_id: 'g-2' }), 'revoked'), 'revoked', 'revoked');
      assert.ok('ok' in (await agree(t, sign(), 'not revoked')));
      expectReason(await agree(t, sign({ grant_id: undefined }), 'no grant_id'), 'missing_claim', 'no grant_id');
    }
  });

  it('random mutations of valid tokens (fast-check) get identical verdicts (rs.token.fast-path-differential)', async () => {
    const t = trio();
    const base = [sign(), sign({ aud: [AUD, 'x'] }), sign({}, { typ: 'application/at+jwt' }), new UnsecuredJWT(claims()).encode()];
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n'.split('');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...chars) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...chars) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...base), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (token, muts) => {
        let m = token;
        for (const x of muts) {
          const at = m.length === 0 ? 0 : x.at % m.length;
          m = x.kind === 'replace' ? m.slice(0, at) + x.ch + m.slice(at + 1) : x.kind === 'insert' ? m.slice(0, at) + x.ch + m.slice(at) : m.slice(0, at) + m.slice(at + 1);
        }
        await agree(t, m, `mutation ${JSON.stringify(muts)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('random headers and claims signed with our key (fast-check) get identical verdicts (rs.token.fast-path-differential)', async () => {
    const t = trio();
    const anyJson = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }));
    const time = fc.oneof(fc.integer({ min: NOW - 200, max: NOW + 200 }), anyJson, fc.constant(undefined));
    const str = (good: string) => fc.oneof(fc.constant(good), fc.constant(undefined), anyJson);
    const header = fc.record({
      alg: fc.oneof(fc.constant('ES256'), fc.constant('ES256'), fc.constantFrom('none', 'HS256', 'ES384', 'RS256', 'es256', ''), anyJson),
      typ: fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'application/jwt', 'at+jwt; x=1'), anyJson, fc.constant(undefined)),
      kid: fc.oneof(fc.constantFrom('k1', 'k1', 'k2', 'k9'), anyJson, fc.constant(undefined)),
      crit: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(undefined), fc.constantFrom(['b64'], ['exp'], [], 'b64'), anyJson),
      b64: fc.oneof(fc.constant(undefined), fc.boolean()),
    });
    const payload = fc.record({
      iss: str(ISSUER),
      aud: fc.oneof(fc.constant(AUD), fc.constant([AUD]), fc.constant(['x', AUD]), fc.constant(OTHER_AUD), fc.constant(undefined), anyJson),
      sub: str('user-1'),
      client_id: str('c'),
      iat: time,
      exp: time,
      nbf: time,
      jti: str('j'),
      scope: str('a b'),
      grant_id: str('g'),
    });
    await fc.assert(
      fc.asyncProperty(header, payload, fc.boolean(), fc.constantFrom(AUD, OTHER_AUD), async (hd, pl, otherSigner, aud) => {
        const token = signRaw(JSON.stringify(stripUndefined(hd)), JSON.stringify(stripUndefined(pl)), otherSigner ? KeyObject.from(otherPriv) : privObject);
        await agree(t, token, `header ${JSON.stringify(hd)} payload ${JSON.stringify(pl)} other signer ${otherSigner} aud ${aud}`, aud);
      }),
      { numRuns: 600 },
    );
  });

  it('a cached token is still judged on every hit: exp, nbf, aud, revocation and a withdrawn key (rs.token.verify-cache)', async () => {
    let now = NOW;
    const revoked = new Set<string>();
    let keys = createLocalJWKSet({ keys: [pubJwk] });
    const opts: AccessTokenVerifierOptions = { issuer: ISSUER, getKey: (h, tok) => keys(h, tok), clock: () => now * 1000, skewSeconds: SKEW, algorithms: ['ES256'], isGrantRevoked: (g) => revoked.has(g) };
    const cached = createAccessTokenVerifier({ ...opts, cacheSize: 10 });
    const jose = createAccessTokenVerifier({ ...opts, engine: 'jose', cacheSize: 0 });
    const both = async (token: string, aud = AUD) => {
      const a = await verdict(cached, token, aud);
      assert.deepEqual(a, await verdict(jose, token, aud));
      return a;
    };
    const token = sign({ exp: NOW + 100, nbf: NOW - 5 });
    assert.ok('ok' in (await both(token)));
    expectReason(await both(token, OTHER_AUD), 'wrong_audience', 'aud re-checked on a hit');
    revoked.add('g-1');
    expectReason(await both(token), 'revoked', 'revocation re-checked on a hit');
    revoked.clear();
    assert.ok('ok' in (await both(token)));
    now = NOW + 100 + SKEW;
    expectReason(await both(token), 'expired', 'exp re-checked on a hit');
    now = NOW;
    assert.ok('ok' in (await both(token)));
    keys = createLocalJWKSet({ keys: [otherPubJwk] });
    expectReason(await both(token), 'bad_signature', 'a key no longer published ends the hit');
    keys = createLocalJWKSet({ keys: [pubJwk] });
    now = NOW - SKEW - 10; // the clock going back: nbf re-checked too
    expectReason(await both(token), 'not_yet_valid', 'nbf re-checked on a hit');
    // bounded: more distinct tokens than the cache holds all still verify
    now = NOW;
    for (let i = 0; i < 25; i++) assert.ok('ok' in (await both(sign({ jti: `j-${i}` }))));
  });
});
