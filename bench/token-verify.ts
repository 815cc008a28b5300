/**
 * Issue 9 figure 2: token verification. Distinct valid ES256 at+jwt tokens verified per second by the
 * resource-server core (createAccessTokenVerifier as the gateway builds it: the node:crypto fast path, RFC 9068
 * checks, revocation lookup, the verified-token cache filling but never hit: a fresh verifier each round) vs raw
 * `node:crypto` ES256 signature verification of the same tokens (key imported once). One token at a time on
 * both sides (the verifier awaited per token), so both measure single-thread cost. Also reported: the same
 * tokens through jose's jwtVerify (engine `jose`, the reference the differential test compares with) and
 * repeat-token throughput (one token over and over: cache hits).
 *
 * BENCH_BASE_DIR (another checkout, e.g. the last commit) adds its verifier as a fourth side: the "before" column.
 *
 *   node --import tsx bench/token-verify.ts            (BENCH_ROUNDS, BENCH_TOKENS, BENCH_BASE_DIR)
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../src/rs/verify.js';
import { progress, report, stat } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 4000);
const CHUNK = 200;
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
  const baseDir = process.env.BENCH_BASE_DIR;
  const baseCreate = baseDir ? ((await import(pathToFileURL(join(baseDir, 'src', 'rs', 'verify.ts')).href)) as { createAccessTokenVerifier: typeof createAccessTokenVerifier }).createAccessTokenVerifier : undefined;
  const make = (engine: 'fast' | 'jose' | 'base') =>
    (engine === 'base' ? baseCreate! : createAccessTokenVerifier)({
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
      ...(engine === 'base' ? {} : { engine }),
    });
  const verifier = make('fast');

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

  const timeCore = async (v: AccessTokenVerifier, list: readonly string[]): Promise<number> => {
    const t0 = performance.now();
    for (const t of list) await v.verify(t, AUDIENCE);
    return performance.now() - t0;
  };
  const timeRaw = (list: readonly string[]): number => {
    const t0 = performance.now();
    for (const t of list) if (!rawVerify(rawKey, t)) throw new Error('raw verification failed');
    return performance.now() - t0;
  };
  const repeated = Array<string>(TOKENS).fill(tokens[0]!);

  // warm-up (JIT)
  await timeCore(make('fast'), tokens.slice(0, 1000));
  await timeCore(make('jose'), tokens.slice(0, 1000));
  timeRaw(tokens.slice(0, 1000));

  const coreRates: number[] = [];
  const rawRates: number[] = [];
  const joseRates: number[] = [];
  const baseRates: number[] = [];
  const repeatRates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // fresh verifiers: their caches fill but are never hit by these distinct tokens
    const fast = make('fast');
    const jose = make('jose');
    const baseV = baseCreate ? make('base') : undefined;
    // the sides take turns chunk by chunk (order rotating), so the machine's noise falls on all of them
    const ms = { core: 0, raw: 0, jose: 0, base: 0 };
    const sides = baseV ? (['core', 'raw', 'jose', 'base'] as const) : (['core', 'raw', 'jose'] as const);
    for (let c = 0; c * CHUNK < tokens.length; c++) {
      const chunk = tokens.slice(c * CHUNK, (c + 1) * CHUNK);
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(c + i + k) % sides.length]!;
        ms[side] += side === 'raw' ? timeRaw(chunk) : await timeCore(side === 'core' ? fast : side === 'jose' ? jose : baseV!, chunk);
      }
    }
    if (baseV) baseRates.push(tokens.length / (ms.base / 1000));
    coreRates.push(tokens.length / (ms.core / 1000));
    rawRates.push(tokens.length / (ms.raw / 1000));
    joseRates.push(tokens.length / (ms.jose / 1000));
    await fast.verify(repeated[0]!, AUDIENCE);
    repeatRates.push(repeated.length / ((await timeCore(fast, repeated)) / 1000));
    progress(`round ${i + 1}: core ${coreRates[i]!.toFixed(0)}/s, raw ${rawRates[i]!.toFixed(0)}/s, jose engine ${joseRates[i]!.toFixed(0)}/s, core repeat-token ${repeatRates[i]!.toFixed(0)}/s`);
  }
  report({
    figure: 'token-verify',
    metrics: [
      { name: 'distinct-token ratio (core / raw node:crypto)', unit: '', stat: stat(coreRates.map((c, i) => c / rawRates[i]!)), goal: { op: '>=', value: 0.8, text: '≥ 0.80' } },
      { name: 'core, distinct tokens', unit: 'tokens/s', stat: stat(coreRates) },
      { name: 'raw node:crypto ES256', unit: 'tokens/s', stat: stat(rawRates) },
      { name: 'jose engine ratio (jose jwtVerify / raw node:crypto)', unit: '', stat: stat(joseRates.map((c, i) => c / rawRates[i]!)) },
      { name: 'core, repeated token (cache hits)', unit: 'tokens/s', stat: stat(repeatRates) },
      ...(baseCreate ? [{ name: 'before (base): distinct-token ratio (base verifier / raw node:crypto)', unit: '', stat: stat(baseRates.map((c, i) => c / rawRates[i]!)) }] : []),
    ],
    notes: [`${ROUNDS} rounds × ${TOKENS} tokens, one at a time; core, raw and jose take turns every ${CHUNK} tokens`],
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
