/**
 * Issue 9 figure 2: token verification. Distinct valid ES256 at+jwt tokens verified per second by the
 * resource-server core (createAccessTokenVerifier: jose jwtVerify + RFC 9068 checks + revocation lookup) vs raw
 * `node:crypto` ES256 signature verification of the same tokens (key imported once). One token at a time on
 * both sides (the verifier awaited per token), so both measure single-thread cost. Repeat-token throughput (the
 * same token over and over) is reported too: there is no verification cache today, so it shows what one would buy.
 *
 *   node --import tsx bench/token-verify.ts            (BENCH_ROUNDS, BENCH_TOKENS)
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAccessTokenVerifier } from '../src/rs/verify.js';
import { progress, report, stat } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 4000);
const ISSUER = 'http://127.0.0.1:8080';
const AUDIENCE = 'http://127.0.0.1:8080/mcp';

function rawVerify(key: KeyObject, token: string): boolean {
  const dot2 = token.lastIndexOf('.');
  const data = Buffer.from(token.slice(0, dot2), 'ascii');
  const sig = Buffer.from(token.slice(dot2 + 1), 'base64url');
  return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

async function main(): Promise<void> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: 'ES256' };
  const rawKey = createPublicKey({ key: jwk, format: 'jwk' });
  const revoked = new Set<string>(['some-other-grant']);
  const verifier = createAccessTokenVerifier({
    issuer: ISSUER,
    // as startRuntime wires it: an async lookup of an already imported CryptoKey by kid
    getKey: async (header) => {
      if (header.kid !== 'bench') throw new Error('unknown kid');
      return pair.publicKey;
    },
    clock: Date.now,
    skewSeconds: 30,
    isGrantRevoked: (g) => revoked.has(g),
    algorithms: ['ES256'],
  });

  progress(`signing ${TOKENS} distinct tokens`);
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < TOKENS; i++) {
    tokens.push(
      await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: `user-${i}`, client_id: 'bench-client', iat: now, exp: now + 3600, jti: crypto.randomUUID(), scope: 'notes:read notes:write', grant_id: `grant-${i}` })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
        .sign(pair.privateKey),
    );
  }
  // every token must pass both ways, or the figures mean nothing
  for (const t of tokens.slice(0, 50)) {
    if (!rawVerify(rawKey, t)) throw new Error('raw verification failed');
    await verifier.verify(t, AUDIENCE);
  }

  const core = async (list: readonly string[]): Promise<number> => {
    const t0 = performance.now();
    for (const t of list) await verifier.verify(t, AUDIENCE);
    return list.length / ((performance.now() - t0) / 1000);
  };
  const raw = (list: readonly string[]): number => {
    const t0 = performance.now();
    for (const t of list) if (!rawVerify(rawKey, t)) throw new Error('raw verification failed');
    return list.length / ((performance.now() - t0) / 1000);
  };
  const repeated = Array<string>(TOKENS).fill(tokens[0]!);

  await core(tokens.slice(0, 1000)); // warm-up (JIT)
  raw(tokens.slice(0, 1000));

  const coreRates: number[] = [];
  const rawRates: number[] = [];
  const repeatRates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // alternate the order so drift hits both
    if (i % 2 === 0) {
      coreRates.push(await core(tokens));
      rawRates.push(raw(tokens));
    } else {
      rawRates.push(raw(tokens));
      coreRates.push(await core(tokens));
    }
    repeatRates.push(await core(repeated));
    progress(`round ${i + 1}: core ${coreRates[i]!.toFixed(0)}/s, raw ${rawRates[i]!.toFixed(0)}/s, core repeat-token ${repeatRates[i]!.toFixed(0)}/s`);
  }
  report({
    figure: 'token-verify',
    metrics: [
      { name: 'distinct-token ratio (core / raw node:crypto)', unit: '', stat: stat(coreRates.map((c, i) => c / rawRates[i]!)), goal: { op: '>=', value: 0.8, text: '≥ 0.80' } },
      { name: 'core, distinct tokens', unit: 'tokens/s', stat: stat(coreRates) },
      { name: 'raw node:crypto ES256', unit: 'tokens/s', stat: stat(rawRates) },
      { name: 'core, repeated token', unit: 'tokens/s', stat: stat(repeatRates) },
    ],
    notes: [`${ROUNDS} rounds × ${TOKENS} tokens, one at a time, alternated`],
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
