import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIDENTIAL_CLIENT, ISSUER, LOOPBACK_CLIENT, PUBLIC_CLIENT, RESOURCE, pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, formAction, hiddenInput } from '../helpers/browserless.js';
import { exchange, getCode } from './flow.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';

/**
 * Issue "Bad input": every parameter of every endpoint × {missing, duplicated, empty, oversized, wrong type}
 * gets the right OAuth error (or a clear page), never a 500, and leaves the store unchanged.
 */

type Mutation = 'missing' | 'duplicated' | 'empty' | 'oversized' | 'wrong type';
const MUTATIONS: Mutation[] = ['missing', 'duplicated', 'empty', 'oversized', 'wrong type'];

interface Expect {
  /** HTTP status, or 'redirect' for an error sent back to the client */
  status: number;
  error?: string;
}
type Outcome = Expect | 'ok';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** every row of every table, hashed: "unchanged" means byte-for-byte the same rows */
function fingerprint(): string {
  return storeFingerprint(h.store);
}

function mutate(base: [string, string][], name: string, m: Mutation, wrong: string): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of base) {
    if (k !== name) {
      p.append(k, v);
      continue;
    }
    if (m === 'missing') continue;
    if (m === 'duplicated') {
      p.append(k, v);
      p.append(k, v);
    }
    if (m === 'empty') p.append(k, '');
    if (m === 'oversized') p.append(k, v + 'x'.repeat(20_000));
    if (m === 'wrong type') p.append(k, wrong);
  }
  return p;
}

async function check(res: Response, want: Outcome, label: string): Promise<void> {
  assert.notEqual(res.status, 500, `${label}: never a 500`);
  const body = await res.text();
  assert.doesNotMatch(body, /at .*\.(ts|js):\d+/, `${label}: no stack trace`);
  if (want === 'ok') return;
  if (want.status === 303) {
    assert.equal(res.status, 303, `${label}: status`);
    const loc = new URL(res.headers.get('location')!);
    assert.equal(loc.searchParams.get('error'), want.error, `${label}: error`);
    assert.equal(loc.searchParams.get('iss'), ISSUER, `${label}: iss`);
    return;
  }
  assert.equal(res.status, want.status, `${label}: status (${body.slice(0, 200)})`);
  assert.equal(res.headers.get('location'), null, `${label}: no redirect`);
  if (want.error) assert.equal((JSON.parse(body) as { error: string }).error, want.error, `${label}: error`);
}

const PAGE: Expect = { status: 400 };
const redirect = (error: string): Expect => ({ status: 303, error });

describe('Issue "Bad input": /authorize, every parameter × every malformation (as.bad-input.authorize)', () => {
  const { challenge } = pkcePair();
  const base: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', PUBLIC_CLIENT],
    ['redirect_uri', 'https://app.example/cb'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
    ['state', 'xyz'],
    ['scope', 'notes:read'],
    ['resource', RESOURCE],
  ];
  const table: Record<string, { wrong: string; expect: Record<Mutation, Outcome> }> = {
    client_id: { wrong: 'not a client', expect: { missing: PAGE, duplicated: PAGE, empty: PAGE, oversized: PAGE, 'wrong type': PAGE } },
    redirect_uri: { wrong: 'javascript:alert(1)', expect: { missing: PAGE, duplicated: PAGE, empty: PAGE, oversized: PAGE, 'wrong type': PAGE } },
    response_type: { wrong: 'token', expect: { missing: redirect('invalid_request'), duplicated: redirect('invalid_request'), empty: redirect('invalid_request'), oversized: redirect('invalid_request'), 'wrong type': redirect('unsupported_response_type') } },
    code_challenge: { wrong: 'short!', expect: { missing: redirect('invalid_request'), duplicated: redirect('invalid_request'), empty: redirect('invalid_request'), oversized: redirect('invalid_request'), 'wrong type': redirect('invalid_request') } },
    code_challenge_method: { wrong: 'plain', expect: { missing: redirect('invalid_request'), duplicated: redirect('invalid_request'), empty: redirect('invalid_request'), oversized: redirect('invalid_request'), 'wrong type': redirect('invalid_request') } },
    // RFC 6749 Appendix A.5: state is VSCHAR; a control character is refused (it could not be stored in PostgreSQL)
    state: { wrong: '\u0000', expect: { missing: 'ok', duplicated: redirect('invalid_request'), empty: 'ok', oversized: redirect('invalid_request'), 'wrong type': redirect('invalid_request') } },
    scope: { wrong: 'a"b', expect: { missing: 'ok', duplicated: redirect('invalid_request'), empty: 'ok', oversized: redirect('invalid_request'), 'wrong type': redirect('invalid_scope') } },
    resource: { wrong: 'not-a-uri', expect: { missing: 'ok', duplicated: redirect('invalid_target'), empty: 'ok', oversized: redirect('invalid_request'), 'wrong type': redirect('invalid_target') } },
  };
  for (const [name, row] of Object.entries(table)) {
    for (const m of MUTATIONS) {
      const want = row.expect[m];
      it(`${name} ${m} → ${want === 'ok' ? 'accepted' : want.error ?? `page ${want.status}`}`, async () => {
        const before = fingerprint();
        const p = mutate(base, name, m, row.wrong);
        const res = await h.request(`/authorize?${p}`, { redirect: 'manual' });
        await check(res, want, `${name}/${m}`);
        if (want !== 'ok') assert.equal(fingerprint(), before, 'store unchanged');
      });
    }
  }
  it('wrong method (PUT) → page, store unchanged', async () => {
    const before = fingerprint();
    await check(await h.request('/authorize', { method: 'PUT' }), { status: 405 }, 'PUT');
    assert.equal(fingerprint(), before);
  });
});

describe('Issue "Bad input": /token authorization_code, every parameter × every malformation (as.bad-input.token-code)', () => {
  const table: Record<string, { wrong: string; expect: Record<Mutation, Expect> }> = {
    grant_type: { wrong: 'password', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'unsupported_grant_type' } } },
    code: { wrong: 'AAAA', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_grant' } } },
    code_verifier: { wrong: 'too-short', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_grant' } } },
    redirect_uri: { wrong: 'https://evil.example/cb', expect: { missing: { status: 400, error: 'invalid_grant' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_grant' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_grant' } } },
    client_id: { wrong: 'someone-else', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 401, error: 'invalid_client' } } },
    resource: { wrong: `${ISSUER}/other`, expect: { missing: { status: 200 }, duplicated: { status: 400, error: 'invalid_target' }, empty: { status: 200 }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_target' } } },
  };
  for (const [name, row] of Object.entries(table)) {
    for (const m of MUTATIONS) {
      const want = row.expect[m];
      it(`${name} ${m} → ${want.status === 200 ? 'accepted' : want.error}`, async () => {
        const { params, verifier, redirect_uri } = await getCode(h, { redirect_uri: 'https://app.example/cb' });
        const base: [string, string][] = [
          ['grant_type', 'authorization_code'],
          ['code', params.get('code')!],
          ['code_verifier', verifier],
          ['redirect_uri', redirect_uri],
          ['client_id', PUBLIC_CLIENT],
          ['resource', RESOURCE],
        ];
        const before = fingerprint();
        const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: mutate(base, name, m, row.wrong).toString() });
        if (want.status === 200) {
          assert.equal(res.status, 200);
          return;
        }
        await check(res, want, `${name}/${m}`);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(fingerprint(), before, 'store unchanged (the code is still redeemable)');
        const ok = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(base).toString() });
        assert.equal(ok.status, 200, 'the untouched request still works afterwards');
      });
    }
  }
});

describe('Issue "Bad input": /token refresh_token, every parameter × every malformation (as.bad-input.token-refresh)', () => {
  const table: Record<string, { wrong: string; expect: Record<Mutation, Expect> }> = {
    refresh_token: { wrong: 'not-a-token', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_grant' } } },
    client_id: { wrong: 'someone-else', expect: { missing: { status: 400, error: 'invalid_request' }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 400, error: 'invalid_request' }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 401, error: 'invalid_client' } } },
    scope: { wrong: 'notes:admin', expect: { missing: { status: 200 }, duplicated: { status: 400, error: 'invalid_request' }, empty: { status: 200 }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_scope' } } },
    resource: { wrong: 'urn:other', expect: { missing: { status: 200 }, duplicated: { status: 400, error: 'invalid_target' }, empty: { status: 200 }, oversized: { status: 400, error: 'invalid_request' }, 'wrong type': { status: 400, error: 'invalid_target' } } },
  };
  for (const [name, row] of Object.entries(table)) {
    for (const m of MUTATIONS) {
      const want = row.expect[m];
      it(`${name} ${m} → ${want.status === 200 ? 'accepted' : want.error}`, async () => {
        const { body } = await exchange(h, { redirect_uri: 'https://app.example/cb', scope: 'notes:read' });
        const base: [string, string][] = [
          ['grant_type', 'refresh_token'],
          ['refresh_token', body.refresh_token as string],
          ['client_id', PUBLIC_CLIENT],
          ['scope', 'notes:read'],
          ['resource', RESOURCE],
        ];
        const before = fingerprint();
        const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: mutate(base, name, m, row.wrong).toString() });
        if (want.status === 200) return assert.equal(res.status, 200);
        await check(res, want, `${name}/${m}`);
        assert.equal(fingerprint(), before, 'store unchanged (the refresh token was not rotated)');
      });
    }
  }
});

describe('Issue "Bad input": /token envelope (as.bad-input.token-envelope)', () => {
  const cases: [string, RequestInit, Expect][] = [
    ['JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' }, { status: 400, error: 'invalid_request' }],
    ['no content-type', { method: 'POST', body: 'grant_type=refresh_token' }, { status: 400, error: 'invalid_request' }],
    ['body over 64 KiB', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&x=${'a'.repeat(70_000)}` }, { status: 400, error: 'invalid_request' }],
    ['malformed Basic header', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic !!!' }, body: 'grant_type=refresh_token&refresh_token=x' }, { status: 400, error: 'invalid_request' }],
    ['Basic without colon', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }, body: 'grant_type=refresh_token&refresh_token=x' }, { status: 400, error: 'invalid_request' }],
    ['client_assertion_type wrong', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=x&client_id=${CONFIDENTIAL_CLIENT}&client_assertion_type=foo&client_assertion=a.b.c` }, { status: 400, error: 'invalid_request' }],
    ['client_assertion not a JWT', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=x&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=%%%' }, { status: 401, error: 'invalid_client' }],
  ];
  for (const [label, init, want] of cases) {
    it(`${label} → ${want.error}`, async () => {
      const before = fingerprint();
      await check(await h.request('/token', init), want, label);
      assert.equal(fingerprint(), before);
    });
  }
});

describe('Issue "Bad input": login and consent forms (as.bad-input.pages)', () => {
  async function atLogin(): Promise<{ jar: CookieJar; html: string }> {
    const jar = new CookieJar();
    const start = await h.request(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:5555/callback', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    jar.take(start);
    const html = await (await h.request(start.headers.get('location')!, { headers: { cookie: jar.header() } })).text();
    return { jar, html };
  }
  const fields = ['csrf', 'username', 'password'];
  for (const name of fields) {
    for (const m of MUTATIONS) {
      it(`login ${name} ${m} → refused, nothing written`, async () => {
        const { jar, html } = await atLogin();
        const base: [string, string][] = [['csrf', hiddenInput(html, 'csrf')!], ['username', 'alice'], ['password', 'alice-password']];
        const before = fingerprint();
        const res = await h.request(formAction(html), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: mutate(base, name, m, 'wrong').toString() });
        assert.notEqual(res.status, 500);
        assert.notEqual(res.status, 303, 'not signed in');
        assert.ok([400, 401, 403].includes(res.status), `status ${res.status}`);
        assert.equal(fingerprint(), before);
      });
    }
  }
  for (const m of MUTATIONS) {
    it(`consent decision ${m} → refused, no code issued`, async () => {
      const { jar, html } = await atLogin();
      const login = await h.request(formAction(html), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: hiddenInput(html, 'csrf')!, username: 'alice', password: 'alice-password' }).toString() });
      jar.take(login);
      // a loopback-only client is asked every time, so the consent page is always shown
      const page = await h.request(login.headers.get('location')!, { headers: { cookie: jar.header() }, redirect: 'manual' });
      assert.equal(page.status, 200);
      const consent = await page.text();
      const base: [string, string][] = [['csrf', hiddenInput(consent, 'csrf')!], ['decision', 'approve']];
      const before = fingerprint();
      const res = await h.request(formAction(consent), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: mutate(base, 'decision', m, 'maybe').toString() });
      assert.equal(res.status, 400);
      assert.equal(fingerprint(), before);
    });
  }
});
