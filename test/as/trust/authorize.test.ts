import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PUBLIC_CLIENT, pkcePair, startHarness, type Harness } from '../../helpers/as-harness.js';
import { authorizeUrl, exchange, tokenRequest } from '../flow.js';
import { CIMD_URL, cimdDoc, fingerprint, serveCimd } from './helpers.js';

const harnesses: Harness[] = [];
after(() => Promise.all(harnesses.map((h) => h.close())));
async function harness(trust: Record<string, unknown>): Promise<Harness> {
  const h = await startHarness({ trust } as never);
  harnesses.push(h);
  return h;
}
const authorize = (h: Harness, client_id = CIMD_URL) => h.request(authorizeUrl(pkcePair().challenge, { client_id }), { redirect: 'manual' });

describe('CIMD §6.8 / [SEC] Trust Policies: a denied host never reaches login (as.trust.denied)', () => {
  it('403 page "not allowed here", never a redirect, nothing fetched, store unchanged', async () => {
    const h = await harness({ denied_hosts: ['*.example.com'] });
    const { calls } = serveCimd(h);
    const before = fingerprint(h);
    const res = await authorize(h);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /not allowed here/);
    assert.deepEqual(calls, [], 'CIMD §3.3 step 2: refused before the fetch');
    assert.equal(fingerprint(h), before);
  });
  it('an administrator-denied client is refused even though its host is fine; static clients are untouched', async () => {
    const h = await harness({ mode: 'open' });
    serveCimd(h);
    await h.store.decideClientTrust({ client_id: CIMD_URL, status: 'denied', by: 'ops', now: h.clock.now, expected_version: null });
    const before = fingerprint(h);
    const res = await authorize(h);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not allowed here/);
    assert.equal(fingerprint(h), before);
    assert.equal((await authorize(h, PUBLIC_CLIENT)).status, 303);
  });
});

describe('[SEC] Trust Policies: allowlist mode admits trusted hosts only (as.trust.allowlist)', () => {
  it('an untrusted host is refused before fetching; a trusted one proceeds to login', async () => {
    const h = await harness({ mode: 'allowlist', trusted_hosts: ['*.trusted.example'] });
    const other = 'https://a.trusted.example/c.json';
    const { calls } = serveCimd(h, new Map([[CIMD_URL, cimdDoc()], [other, cimdDoc({ client_id: other })]]));
    const refused = await authorize(h);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /not allowed here/);
    assert.deepEqual(calls, []);
    const ok = await authorize(h, other);
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('location')!, /\/interaction\//);
  });
});

describe('issue 3: review mode shows "awaiting approval" and records the document (as.trust.review-pending)', () => {
  it('403 HTML page, no redirect, no login; a pending record with the document as fetched, its version and first sight', async () => {
    const h = await harness({ mode: 'review' });
    serveCimd(h);
    const res = await authorize(h);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    const html = await res.text();
    assert.match(html, /Awaiting approval/);
    assert.match(html, /id="trust-pending"/);
    assert.match(html, /Example App/);
    assert.doesNotMatch(html, /name="password"/);
    const rec = await h.store.getClientTrust(CIMD_URL);
    assert.equal(rec?.status, 'pending');
    assert.deepEqual(JSON.parse(rec!.document), cimdDoc());
    assert.equal(rec?.first_seen_at, h.clock.now);
    assert.ok(rec?.version);
    const again = fingerprint(h);
    assert.equal((await authorize(h)).status, 403);
    assert.equal(fingerprint(h), again, 'a second attempt with the same document writes nothing');
  });
  it('prompt=none too gets the page, never an automatic redirect to the unreviewed client (RFC 9700 §4.11.2) (as.trust.review-pending)', async () => {
    const h = await harness({ mode: 'review' });
    serveCimd(h);
    const res = await h.request(authorizeUrl(pkcePair().challenge, { client_id: CIMD_URL, extra: { prompt: 'none' } }), { redirect: 'manual' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /Awaiting approval/);
    assert.equal((await h.store.getClientTrust(CIMD_URL))?.status, 'pending');
  });
  it('a trusted host skips review', async () => {
    const h = await harness({ mode: 'review', trusted_hosts: ['app.example.com'] });
    serveCimd(h);
    assert.equal((await authorize(h)).status, 303);
    assert.equal(await h.store.getClientTrust(CIMD_URL), null);
  });
});

describe('issue 3: an approved client whose document changes goes back to review (as.trust.document-change)', () => {
  it('approve → flow completes → document changes → pending page says so; refresh refused until approved again', async () => {
    const h = await harness({ mode: 'review' });
    const { docs } = serveCimd(h);
    assert.equal((await authorize(h)).status, 403);
    const pending = (await h.store.getClientTrust(CIMD_URL))!;
    await h.store.decideClientTrust({ client_id: CIMD_URL, status: 'approved', by: 'ops', now: h.clock.now, expected_version: pending.version });
    const { res, body } = await exchange(h, { client_id: CIMD_URL });
    assert.equal(res.status, 200, JSON.stringify(body));

    docs.set(CIMD_URL, cimdDoc({ redirect_uris: ['http://127.0.0.1/callback', 'https://attacker.example/cb'] }));
    const changed = await authorize(h);
    assert.equal(changed.status, 403);
    assert.match(await changed.text(), /id="trust-changed"/);
    const rec = (await h.store.getClientTrust(CIMD_URL))!;
    assert.equal(rec.status, 'pending');
    assert.notEqual(rec.version, pending.version);
    assert.deepEqual([rec.decided_by, rec.decided_version], ['ops', pending.version], 'who approved which version is kept');

    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string, client_id: CIMD_URL });
    assert.equal(refresh.status, 401);
    assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_client');
  });
});

describe('issue 3: a client the policy refuses cannot redeem or refresh either (as.trust.token)', () => {
  it('code and refresh token issued while open; after a denial both get invalid_client, store unchanged', async () => {
    const h = await harness({ mode: 'open' });
    serveCimd(h);
    const first = await exchange(h, { client_id: CIMD_URL });
    assert.equal(first.res.status, 200);
    const { getCode } = await import('../flow.js');
    const { params, verifier, redirect_uri } = await getCode(h, { client_id: CIMD_URL });
    await h.store.decideClientTrust({ client_id: CIMD_URL, status: 'denied', by: 'ops', now: h.clock.now, expected_version: null });
    const before = fingerprint(h);
    const redeem = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri, client_id: CIMD_URL });
    assert.equal(redeem.status, 401);
    assert.equal(((await redeem.json()) as { error: string }).error, 'invalid_client');
    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, client_id: CIMD_URL });
    assert.equal(refresh.status, 401);
    assert.equal(fingerprint(h), before);
  });
});
