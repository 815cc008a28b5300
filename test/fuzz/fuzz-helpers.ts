/**
 * Issue 10 item 2: shared pieces of the property-based fuzzing (fast-check). FUZZ_RUNS sets the runs per property:
 * small by default so the whole fuzz set stays under a minute on two cores in `npm test`; longer on demand:
 *   FUZZ_RUNS=10000 node scripts/run-tests.mjs test/fuzz
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import type { AttackTarget } from '../attacks/harness.js';

export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 25));
/** FUZZ_SEED reproduces a failing run (fast-check prints the seed and path) */
export const fuzzParams = (): fc.Parameters<unknown> => ({ numRuns: FUZZ_RUNS, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) });

/** unhandled rejections anywhere in the process during the fuzz run (the server runs in-process) */
export const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));

/** strings an attacker would try: empty, huge, control characters, unicode, injection shapes, numbers */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\u0000', '\r\n', '%00', '%', '%zz', '..', '../..', '__proto__', 'constructor', 'toString', 'null', 'undefined', 'NaN', '-1', '1e309', '[]', '{}', '"', "'", '<script>', '\\', 'a'.repeat(5000), 'https://evil.example/', 'http://127.0.0.1/callback', 'S256', 'plain', 'code', 'openid', 'notes:read', '\u202e', '\ud800'),
  );

/** a form or query: known parameter names (and junk ones) with hostile values, sometimes repeated */
export function hostileParams(names: readonly string[], fixed: Record<string, fc.Arbitrary<string>> = {}): fc.Arbitrary<Array<[string, string]>> {
  const name = fc.oneof(fc.constantFrom(...names), hostileString());
  const pairs = fc.array(fc.tuple(name, hostileString()), { maxLength: 8 });
  const fixedArb = fc.record(fixed);
  return fc.tuple(fixedArb, pairs).map(([f, p]) => [...Object.entries(f), ...p]);
}

export const toSearch = (pairs: Array<[string, string]>): URLSearchParams => {
  const s = new URLSearchParams();
  for (const [k, v] of pairs) s.append(k, v);
  return s;
};

/**
 * Sends one fuzzed request and checks the invariants: never a 5xx, never a stack trace, and — when the answer is
 * a refusal (`isRefusal`) — nothing written to the store.
 */
export async function checkRequest(t: AttackTarget, send: () => Promise<Response>, isRefusal: (res: Response, body: string) => boolean): Promise<void> {
  const before = storeFingerprint(t.store);
  const res = await send();
  const body = await res.text();
  assert.ok(res.status < 500, `no 5xx: ${res.status} ${body.slice(0, 300)}`);
  assert.doesNotMatch(body, /node:internal|at [\w.<>]+ \(\/|\.ts:\d+:\d+/, 'no stack trace');
  if (isRefusal(res, body)) assert.equal(storeFingerprint(t.store), before, `a refusal wrote to the store: ${res.status} ${body.slice(0, 200)}`);
}

/** an OAuth error JSON answer */
export const oauthRefusal = (res: Response, body: string): boolean => res.status >= 400 && /"error"/.test(body);
