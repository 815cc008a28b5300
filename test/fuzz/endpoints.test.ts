/**
 * Issue 10 item 2: property-based fuzzing of every endpoint's parameters over real HTTP (the attack target:
 * src/server/app.ts on loopback). Invariants for every input: never a 5xx, never a stack trace, no unhandled
 * rejection, and nothing written to the store when the answer is a refusal. FUZZ_RUNS runs per property (default
 * small; `FUZZ_RUNS=10000 node scripts/run-tests.mjs test/fuzz` for a long run).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CookieJar, hiddenInput } from '../helpers/browserless.js';
import { authorizeUrl, basicAuth, CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, EMA_CLIENT, EMA_SECRET, pkcePair, PUBLIC_CLIENT, startTarget, type AttackTarget } from '../attacks/harness.js';
import { checkRequest, fuzzParams, hostileParams, hostileString, oauthRefusal, toSearch, unhandled } from './fuzz-helpers.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(async () => {
  await t.close();
  assert.deepEqual(unhandled, [], 'no unhandled rejection during the fuzz run');
});

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange'];
const TOKEN_PARAMS = ['grant_type', 'code', 'code_verifier', 'redirect_uri', 'client_id', 'client_secret', 'resource', 'scope', 'refresh_token', 'assertion', 'client_assertion', 'client_assertion_type', 'device_code', 'subject_token', 'subject_token_type', 'requested_token_type', 'audience'];
const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource', 'nonce', 'response_mode', 'request', 'request_uri', 'prompt', 'max_age'];
/** lone surrogates → U+FFFD (encodeURIComponent throws on them: a client-side limit, not the server's) */
const wellFormed = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const authHeader = fc.oneof(fc.constant(undefined), fc.constant(basicAuth(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET)), fc.constant(basicAuth(EMA_CLIENT, EMA_SECRET)), hostileString().map((s) => `Basic ${Buffer.from(s).toString('base64')}`), hostileString().map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`.trim()));

/** an authorization response that started an interaction (the only /authorize answer that writes) */
const startedInteraction = (res: Response): boolean => res.status === 303 && (res.headers.get('location') ?? '').includes('/interaction/');

describe('fuzz: every endpoint\'s parameters — no 5xx, no unhandled rejection, no write on refusal (sec.fuzz)', () => {
  it('GET /authorize with hostile query parameters (sec.fuzz)', async () => {
    const fixed = { client_id: fc.constantFrom(PUBLIC_CLIENT, 'atk-loopback', 'nobody', 'https://client.example/x.json'), redirect_uri: fc.constantFrom('https://app.example/cb', 'http://127.0.0.1:9/callback', 'https://evil.example/') };
    await fc.assert(
      fc.asyncProperty(hostileParams(AUTHORIZE_PARAMS, fixed), async (pairs) => {
        const u = new URL('/authorize', t.base);
        u.search = toSearch(pairs).toString();
        await checkRequest(t, () => t.fetch(u.toString()), (res) => !startedInteraction(res));
      }),
      fuzzParams(),
    );
  });

  it('POST /authorize with a hostile form (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileParams(AUTHORIZE_PARAMS, { client_id: fc.constantFrom(PUBLIC_CLIENT, 'x') }), async (pairs) => {
        await checkRequest(t, () => t.fetch('/authorize', { method: 'POST', headers: form, body: toSearch(pairs) }), (res) => !startedInteraction(res));
      }),
      fuzzParams(),
    );
  });

  for (const grant of GRANTS) {
    it(`POST /token grant_type=${grant} with hostile parameters (sec.fuzz)`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileParams(TOKEN_PARAMS, { grant_type: fc.constant(grant), client_id: fc.constantFrom(PUBLIC_CLIENT, CONFIDENTIAL_CLIENT, 'atk-jwt', 'nobody') }), authHeader, async (pairs, auth) => {
          await checkRequest(t, () => t.fetch('/token', { method: 'POST', headers: { ...form, ...(auth ? { authorization: auth } : {}) }, body: toSearch(pairs) }), oauthRefusal);
        }),
        fuzzParams(),
      );
    });
  }

  it('POST /token with a hostile grant_type and body shape (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString(), fc.string({ unit: 'binary', maxLength: 200 })), fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', ''), async (body, type) => {
        await checkRequest(t, () => t.fetch('/token', { method: 'POST', headers: type ? { 'content-type': type } : {}, body }), oauthRefusal);
      }),
      fuzzParams(),
    );
  });

  it('POST /revoke with hostile parameters writes nothing (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileParams(['token', 'token_type_hint', 'client_id', 'client_secret']), authHeader, async (pairs, auth) => {
        await checkRequest(t, () => t.fetch('/revoke', { method: 'POST', headers: { ...form, ...(auth ? { authorization: auth } : {}) }, body: toSearch(pairs) }), () => true);
      }),
      fuzzParams(),
    );
  });

  it('POST /introspect with hostile parameters writes nothing (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileParams(['token', 'token_type_hint', 'client_id', 'client_secret']), authHeader, async (pairs, auth) => {
        await checkRequest(t, () => t.fetch('/introspect', { method: 'POST', headers: { ...form, ...(auth ? { authorization: auth } : {}) }, body: toSearch(pairs) }), () => true);
      }),
      fuzzParams(),
    );
  });

  it('POST /register with hostile JSON (sec.fuzz)', async () => {
    const meta = fc.record(
      {
        application_type: fc.oneof(fc.constantFrom('native', 'web'), hostileString()),
        redirect_uris: fc.oneof(fc.array(fc.oneof(fc.constantFrom('http://127.0.0.1/cb', 'https://app.example/cb'), hostileString()), { maxLength: 3 }), fc.jsonValue()),
        token_endpoint_auth_method: fc.oneof(fc.constantFrom('none', 'client_secret_basic', 'private_key_jwt'), hostileString()),
        grant_types: fc.oneof(fc.array(fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials', 'x')), fc.jsonValue()),
        client_name: fc.oneof(hostileString(), fc.jsonValue()),
        scope: hostileString(),
        jwks: fc.jsonValue(),
        logo_uri: hostileString(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(meta.map((m) => JSON.stringify(m)), fc.jsonValue().map((v) => JSON.stringify(v)), hostileString()), async (body) => {
        await checkRequest(t, () => t.fetch('/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), (res) => res.status !== 201);
      }),
      fuzzParams(),
    );
  });

  it('POST /device_authorization with hostile parameters (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileParams(['client_id', 'scope', 'resource'], { client_id: fc.constantFrom(PUBLIC_CLIENT, 'nobody') }), async (pairs) => {
        await checkRequest(t, () => t.fetch('/device_authorization', { method: 'POST', headers: form, body: toSearch(pairs) }), (res) => res.status >= 400);
      }),
      fuzzParams(),
    );
  });

  it('the device page (/device) with a hostile user_code and form (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileParams(['user_code', 'csrf', 'username', 'password', 'decision']), hostileString(), async (pairs, cookie) => {
        await checkRequest(t, () => t.fetch('/device', { method: 'POST', headers: { ...form, cookie: `x=${encodeURIComponent(wellFormed(cookie))}` }, body: toSearch(pairs) }), (res) => res.status >= 400);
      }),
      fuzzParams(),
    );
  });

  it('the login and consent forms with hostile fields, cookies and interaction ids (sec.fuzz)', async () => {
    // one real interaction to aim at, and random ones
    const jar = new CookieJar();
    const start = await t.fetch(authorizeUrl(t, { client_id: 'atk-loopback', redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: pkcePair().challenge }));
    jar.take(start);
    const loc = start.headers.get('location')!;
    const id = loc.split('/').pop()!;
    const csrf = hiddenInput(await (await t.fetch(loc, { headers: { cookie: jar.header() } })).text(), 'csrf') ?? '';
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(id), hostileString().map((s) => encodeURIComponent(wellFormed(s)) || 'x')),
        fc.constantFrom('login', 'consent'),
        hostileParams(['csrf', 'username', 'password', 'decision'], { csrf: fc.oneof(fc.constant(csrf), hostileString()), password: hostileString() }),
        fc.oneof(fc.constant(jar.header()), hostileString().map((s) => `__Host-portcullis-interaction=${encodeURIComponent(wellFormed(s))}`), fc.constant('')),
        async (iid, step, pairs, cookie) => {
          await checkRequest(t, () => t.fetch(`/interaction/${iid}/${step}`, { method: 'POST', headers: { ...form, cookie }, body: toSearch(pairs) }), (res) => res.status >= 400);
        },
      ),
      fuzzParams(),
    );
  });

  it('the account page forms with hostile fields (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('login', 'revoke', 'logout'), hostileParams(['csrf', 'username', 'password', 'grant_id']), hostileString(), async (step, pairs, cookie) => {
        await checkRequest(t, () => t.fetch(`/account/${step}`, { method: 'POST', headers: { ...form, cookie: `s=${encodeURIComponent(wellFormed(cookie))}` }, body: toSearch(pairs) }), (res) => res.status >= 400);
      }),
      fuzzParams(),
    );
  });
});
