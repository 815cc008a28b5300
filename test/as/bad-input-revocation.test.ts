import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../../src/as/passwords.js';
import { CONFIDENTIAL_CLIENT, PUBLIC_CLIENT, REDIRECT, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, hiddenInput } from '../helpers/browserless.js';
import { exchange } from './flow.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';

/**
 * Issue "Bad input" for /revoke, /introspect and the account forms: every parameter × {missing, duplicated, empty,
 * oversized, wrong} gets the right error (never a 500 or a stack trace) and, when refused, leaves the store unchanged.
 */
type Mutation = 'missing' | 'duplicated' | 'empty' | 'oversized' | 'wrong';
const MUTATIONS: Mutation[] = ['missing', 'duplicated', 'empty', 'oversized', 'wrong'];
/** status and OAuth error (JSON endpoints) — `changes` when a 200 legitimately writes (a revocation) */
interface Want { status: number; error?: string; changes?: boolean }
const err = (status: number, error?: string): Want => ({ status, ...(error ? { error } : {}) });
const OK_REVOKES: Want = { status: 200, changes: true };
const OK: Want = { status: 200 };
const BAD = err(400, 'invalid_request');
const CLIENT = err(401, 'invalid_client');
const all = (w: Want): Record<Mutation, Want> => ({ missing: w, duplicated: w, empty: w, oversized: w, wrong: w });

const RS = 'rs-post';
const RS_SECRET = 'resource-server-secret-5678';
let h: Harness;
before(async () => {
  process.env.TEST_RS_SECRET_2 = RS_SECRET;
  h = await startHarness({
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT] },
      { client_id: CONFIDENTIAL_CLIENT, redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_CONFIDENTIAL_SECRET' },
      { client_id: RS, redirect_uris: ['https://rs.example/unused'], token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'TEST_RS_SECRET_2', grant_types: [], introspection: true },
    ],
  });
  await h.store.createUser({ id: 'user-2', username: 'bob', password_hash: await hashPassword('bob-password'), roles: [], disabled: false, created_at: h.clock.now });
});
after(() => h.close());

function fingerprint(): string {
  return storeFingerprint(h.store);
}

function mutate(base: [string, string][], name: string, m: Mutation, wrong: string): string {
  const p = new URLSearchParams();
  for (const [k, v] of base) {
    if (k !== name) p.append(k, v);
    else if (m === 'duplicated') for (const _ of [1, 2]) p.append(k, v);
    else if (m === 'empty') p.append(k, '');
    else if (m === 'oversized') p.append(k, v + 'x'.repeat(20_000));
    else if (m === 'wrong') p.append(k, wrong);
  }
  return p.toString();
}

async function check(res: Response, want: Want, before: string, label: string): Promise<void> {
  const body = await res.text();
  assert.notEqual(res.status, 500, `${label}: never a 500`);
  assert.doesNotMatch(body, /at .*\.(ts|js):\d+/, `${label}: no stack trace`);
  assert.equal(res.status, want.status, `${label}: status (${body.slice(0, 200)})`);
  if (want.error) assert.equal((JSON.parse(body) as { error: string }).error, want.error, `${label}: error`);
  if (!want.changes) assert.equal(fingerprint(), before, `${label}: store unchanged`);
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  h.request(path, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

async function refreshToken(): Promise<string> {
  return (await exchange(h, { scope: 'notes:read' })).body.refresh_token as string;
}

describe('Issue "Bad input": /revoke, every parameter × every malformation (as.bad-input.revoke)', () => {
  const table: Record<string, { wrong: string; expect: Record<Mutation, Want> }> = {
    token: { wrong: 'not-a-token-we-issued', expect: { ...all(BAD), wrong: OK } },
    token_type_hint: { wrong: 'id_token', expect: { missing: OK_REVOKES, duplicated: BAD, empty: OK_REVOKES, oversized: BAD, wrong: OK_REVOKES } },
    client_id: { wrong: 'nobody', expect: { ...all(BAD), wrong: CLIENT } },
  };
  for (const [name, row] of Object.entries(table)) {
    for (const m of MUTATIONS) {
      const want = row.expect[m];
      it(`${name} ${m} → ${want.error ?? want.status}`, async () => {
        const token = await refreshToken();
        const before = fingerprint();
        const base: [string, string][] = [['token', token], ['token_type_hint', 'refresh_token'], ['client_id', PUBLIC_CLIENT]];
        await check(await post('/revoke', mutate(base, name, m, row.wrong)), want, before, `${name}/${m}`);
      });
    }
  }
  it('a JSON body → invalid_request; GET → invalid_request', async () => {
    const before = fingerprint();
    await check(await h.request('/revoke', { method: 'POST', body: '{"token":"x"}', headers: { 'content-type': 'application/json' } }), BAD, before, 'json');
    await check(await h.request('/revoke?token=x'), BAD, before, 'GET');
  });
});

describe('Issue "Bad input": /introspect, every parameter × every malformation (as.bad-input.introspect)', () => {
  const table: Record<string, { wrong: string; expect: Record<Mutation, Want> }> = {
    token: { wrong: 'not-a-token-we-issued', expect: { ...all(BAD), wrong: OK } },
    token_type_hint: { wrong: 'id_token', expect: { missing: OK, duplicated: BAD, empty: OK, oversized: BAD, wrong: OK } },
    // RFC 7662 §2.3: any credential problem is 401 invalid_client, malformed credentials included
    client_id: { wrong: CONFIDENTIAL_CLIENT, expect: all(CLIENT) },
    client_secret: { wrong: 'wrong-secret', expect: all(CLIENT) },
  };
  for (const [name, row] of Object.entries(table)) {
    for (const m of MUTATIONS) {
      const want = row.expect[m];
      it(`${name} ${m} → ${want.error ?? want.status}`, async () => {
        const token = await refreshToken();
        const before = fingerprint();
        const base: [string, string][] = [['token', token], ['token_type_hint', 'refresh_token'], ['client_id', RS], ['client_secret', RS_SECRET]];
        await check(await post('/introspect', mutate(base, name, m, row.wrong)), want, before, `${name}/${m}`);
      });
    }
  }
});

describe('Issue "Bad input": account forms, every field × every malformation (as.bad-input.account)', () => {
  const FORBIDDEN = err(403);
  async function signedIn(): Promise<{ cookie: string; csrf: string }> {
    const jar = new CookieJar();
    const get = async () => {
      const r = await h.request('/account', { headers: { cookie: jar.header() } });
      jar.take(r);
      return r.text();
    };
    const csrf = hiddenInput(await get(), 'csrf')!;
    jar.take(await post('/account/login', new URLSearchParams({ csrf, username: 'alice', password: 'alice-password' }).toString(), { cookie: jar.header() }));
    return { cookie: jar.header(), csrf: hiddenInput(await get(), 'csrf')! };
  }
  const revokeTable: Record<string, { wrong: string; expect: Record<Mutation, Want> }> = {
    csrf: { wrong: 'x'.repeat(43), expect: all(FORBIDDEN) },
    grant: { wrong: 'no-such-grant', expect: { ...all(err(400)), wrong: err(404) } },
  };
  for (const [name, row] of Object.entries(revokeTable)) {
    for (const m of MUTATIONS) {
      it(`/account/revoke ${name} ${m} → ${row.expect[m].status}`, async () => {
        await refreshToken();
        const grant = (await h.store.listGrants({ user_id: 'user-1' }))[0]!.id;
        const s = await signedIn();
        const before = fingerprint();
        const res = await post('/account/revoke', mutate([['csrf', s.csrf], ['grant', grant]], name, m, row.wrong), { cookie: s.cookie });
        await check(res, row.expect[m], before, `${name}/${m}`);
      });
    }
  }
  const loginTable: Record<string, { wrong: string; expect: Record<Mutation, Want> }> = {
    csrf: { wrong: 'x'.repeat(43), expect: all(FORBIDDEN) },
    username: { wrong: 'bob', expect: all(err(401)) },
    password: { wrong: 'not-the-password', expect: all(err(401)) },
  };
  for (const [name, row] of Object.entries(loginTable)) {
    for (const m of MUTATIONS) {
      it(`/account/login ${name} ${m} → ${row.expect[m].status}`, async () => {
        const jar = new CookieJar();
        const page = await h.request('/account');
        jar.take(page);
        const csrf = hiddenInput(await page.text(), 'csrf')!;
        const before = fingerprint();
        const base: [string, string][] = [['csrf', csrf], ['username', 'alice'], ['password', 'alice-password']];
        await check(await post('/account/login', mutate(base, name, m, row.wrong), { cookie: jar.header() }), row.expect[m], before, `${name}/${m}`);
      });
    }
  }
});
