/**
 * Issue 8: the admin console without JavaScript — every page and every action as plain HTTP GETs and form posts
 * with a cookie jar (what a browser without script, or a script, does), on the in-process AS with SQLite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ISSUER, type Harness } from '../helpers/as-harness.js';
import { hiddenInput } from '../helpers/browserless.js';
import { seedGrant } from '../helpers/admin-harness.js';
import { CIMD_URL, cimdDoc, fingerprint, serveCimd } from '../as/trust/helpers.js';
import { authorizeUrl } from '../as/flow.js';
import { pkcePair } from '../helpers/as-harness.js';
import { BOB_PASSWORD, CONSOLE, FormClient, startConsoleHarness, tableProblems, unlabelledControls } from './helpers/console.js';

const PAGES = ['', '/clients', `/clients/view?id=${encodeURIComponent(CIMD_URL)}`, '/users', '/users/view?name=bob', '/grants', '/audit', '/policy', '/keys'];

async function adminActions(h: Harness): Promise<Record<string, unknown>[]> {
  const rows = await h.store.listAudit({ types: ['admin.action'], limit: 1000 });
  return rows.map((r) => ({ ...(JSON.parse(r.data) as Record<string, unknown>), user_id: r.user_id }));
}

describe('issue 8: the admin console works without JavaScript (admin.console.no-js)', () => {
  let h: Harness;
  let admin: FormClient;
  let docs: Map<string, Record<string, unknown>>;
  before(async () => {
    h = await startConsoleHarness();
    ({ docs } = serveCimd(h));
    // review mode: the CIMD client's first attempt leaves a pending record with its document
    const res = await h.request(authorizeUrl(pkcePair().challenge, { client_id: CIMD_URL }), { redirect: 'manual' });
    assert.equal(res.status, 403);
    admin = new FormClient(h);
    assert.equal((await admin.login('alice', 'alice-password')).status, 303);
  });
  after(() => h?.close());

  it('every page renders for an administrator, with labelled inputs, captioned tables, landmarks and strict headers', async () => {
    for (const p of PAGES) {
      const { res, html } = await admin.get(`${CONSOLE}${p}`);
      assert.equal(res.status, 200, `${p}: ${html.slice(0, 300)}`);
      assert.deepEqual(unlabelledControls(html), [], `${p}: every input has a label`);
      assert.deepEqual(tableProblems(html), [], `${p}: tables have captions and th scope`);
      assert.match(html, /<main id="main"><h1>/, `${p}: one main landmark with the h1`);
      assert.match(html, /<nav aria-label="Console">/);
      assert.doesNotMatch(html, /<script|\sstyle=|\son[a-z]+=/i, `${p}: no script, no inline style or handler`);
      const csp = res.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /style-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|script-src/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      for (const form of html.matchAll(/<form method="post"[\s\S]*?<\/form>/g)) assert.match(form[0], /name="csrf" value="[^"]+"/, `${p}: every POST form carries the CSRF token`);
    }
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec((await admin.get(CONSOLE)).html)![1]!;
    const sheet = await h.request(css);
    assert.equal(sheet.status, 200);
    assert.match(sheet.headers.get('content-type')!, /text\/css/);
    assert.match(await sheet.text(), /@media \(max-width/, 'a responsive stylesheet');
  });

  it('the overview counts grants, clients and users and draws the charts as SVG with text alternatives', async () => {
    await seedGrant(h, 'g-over', 'user-2', 'test-public', ['notes:read']);
    await h.ctx.audit.record('token.issued', { grant_type: 'authorization_code', grant_id: 'g-over', jti: 'j1', scope: ['notes:read'], audience: `${ISSUER}/mcp` }, { user_id: 'user-2', client_id: 'test-public' });
    await h.ctx.audit.record('tool.denied', { resource: `${ISSUER}/mcp`, tool: 'add_note', reason: 'insufficient_scope', required_scope: 'notes:write' }, { user_id: 'user-2', client_id: 'test-public' });
    await h.ctx.audit.record('tool.denied', { resource: `${ISSUER}/mcp`, tool: 'rm', reason: 'not permitted by policy' }, { user_id: 'user-2', client_id: 'test-public' });
    await h.ctx.audit.record('login.failure', { username: 'bob', reason: 'wrong password', method: 'password' }, { user_id: 'user-2' });
    const { html } = await admin.get(CONSOLE);
    assert.match(html, /id="count-grants">1</);
    assert.match(html, /id="count-users">2</);
    assert.match(html, /id="count-pending">1 awaiting approval/);
    for (const [id, n] of [['chart-issued', 1], ['chart-stepups', 1], ['chart-denials', 2]] as const) {
      const fig = new RegExp(`<figure id="${id}"><svg[^>]*role="img" aria-labelledby="${id}-t ${id}-d"[\\s\\S]*?<span class="chart-total">(\\d+)</span>`).exec(html);
      assert.ok(fig, `${id} is an SVG with a title and description`);
      assert.equal(Number(fig[1]), n, `${id} total`);
    }
    assert.match(html, /Denials as a table/);
  });

  it('approve a pending client: the decision names the administrator, and the client proceeds to login', async () => {
    const csrf = await admin.csrf(`${CONSOLE}/clients`);
    const version = (await h.store.getClientTrust(CIMD_URL))!.version;
    const res = await admin.post(`${CONSOLE}/clients/decide`, { csrf, client_id: CIMD_URL, decision: 'approve', version, back: `${CONSOLE}/clients` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${CONSOLE}/clients?notice=client-approved`);
    const rec = await h.store.getClientTrust(CIMD_URL);
    assert.equal(rec?.status, 'approved');
    assert.equal(rec?.decided_by, 'alice');
    const action = (await adminActions(h)).find((a) => a.action === 'client.approve')!;
    assert.equal(action.target, CIMD_URL);
    assert.equal(action.user_id, 'user-1');
    assert.equal((action.detail as Record<string, unknown>).actor, 'alice');
    const again = await h.request(authorizeUrl(pkcePair().challenge, { client_id: CIMD_URL }), { redirect: 'manual' });
    assert.equal(again.status, 303, 'approved: on to login');
    const { html } = await admin.get(`${CONSOLE}/clients?notice=client-approved`);
    assert.match(html, /role="status" id="notice">Client approved/);
  });

  it('a decision for a document version other than the one shown is refused as a conflict, nothing changed', async () => {
    const csrf = await admin.csrf();
    const before = fingerprint(h);
    const res = await admin.post(`${CONSOLE}/clients/decide`, { csrf, client_id: CIMD_URL, decision: 'deny', version: 'not-the-version' });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location')!, /notice=client-conflict/);
    assert.equal(fingerprint(h), before);
  });

  it('fetch again and re-review: an unchanged document stays approved; a changed one goes back to pending, audited', async () => {
    const csrf = await admin.csrf();
    const same = await admin.post(`${CONSOLE}/clients/rereview`, { csrf, client_id: CIMD_URL });
    assert.match(same.headers.get('location')!, /notice=client-unchanged/);
    assert.equal((await h.store.getClientTrust(CIMD_URL))?.status, 'approved');
    docs.set(CIMD_URL, cimdDoc({ redirect_uris: ['http://127.0.0.1/callback', 'https://other.example/cb'] }));
    const changed = await admin.post(`${CONSOLE}/clients/rereview`, { csrf, client_id: CIMD_URL });
    assert.match(changed.headers.get('location')!, /notice=client-changed/);
    assert.equal((await h.store.getClientTrust(CIMD_URL))?.status, 'pending');
    const entries = (await adminActions(h)).filter((a) => a.action === 'client.rereview');
    assert.deepEqual(entries.map((e) => (e.detail as Record<string, unknown>).changed), [false, true]);
    const { html } = await admin.get(`${CONSOLE}/clients/view?id=${encodeURIComponent(CIMD_URL)}`);
    assert.match(html, /other\.example/, 'the page shows the new document');
    assert.match((await admin.post(`${CONSOLE}/clients/rereview`, { csrf, client_id: 'test-public' })).headers.get('location')!, /notice=client-not-reviewable/);
  });

  it("revoke a user's grant from their page: revoked in the store, the gateway told, audited with the administrator", async () => {
    await seedGrant(h, 'g-bob', 'user-2', 'test-public', ['notes:read']);
    const { html } = await admin.get(`${CONSOLE}/users/view?name=bob`);
    assert.match(html, /value="g-bob"/);
    const res = await admin.post(`${CONSOLE}/grants/revoke`, { csrf: hiddenInput(html, 'csrf')!, grant: 'g-bob', back: `${CONSOLE}/users/view?name=bob` });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${CONSOLE}/users/view?name=bob&notice=grant-revoked`);
    assert.notEqual((await h.store.getGrant('g-bob'))?.revoked_at, null);
    assert.ok(h.revoked.includes('g-bob'), 'the revoked-grant set of the gateway is told at once');
    const action = (await adminActions(h)).find((a) => a.action === 'grant.revoke' && a.target === 'g-bob');
    assert.ok(action);
    assert.equal(action.user_id, 'user-1');
  });

  it('roles: narrowing revokes the grants beyond them; unknown roles and self-demotion are refused with nothing changed', async () => {
    await seedGrant(h, 'g-bob-w', 'user-2', 'test-public', ['notes:write']);
    await h.store.updateUserRoles('user-2', ['editor']);
    let csrf = await admin.csrf(`${CONSOLE}/users/view?name=bob`);
    const before = fingerprint(h);
    const bad = await admin.post(`${CONSOLE}/users/roles`, { csrf, user: 'bob', role: ['reader', 'root'] });
    assert.match(bad.headers.get('location')!, /notice=user-bad-role/);
    const self = await admin.post(`${CONSOLE}/users/roles`, { csrf, user: 'alice', role: ['reader'] });
    assert.match(self.headers.get('location')!, /notice=user-self/);
    assert.equal(fingerprint(h), before, 'refusals change nothing');
    csrf = await admin.csrf();
    const ok = await admin.post(`${CONSOLE}/users/roles`, { csrf, user: 'bob', role: 'reader' });
    assert.match(ok.headers.get('location')!, /notice=user-roles/);
    assert.deepEqual((await h.store.getUser('user-2'))?.roles, ['reader']);
    assert.notEqual((await h.store.getGrant('g-bob-w'))?.revoked_at, null, 'notes:write is beyond reader');
  });

  it('add a user: signs in with the password set; a taken name, a bad name, a short password, an unknown role or a cross-site post change nothing (admin.console.create-user)', async () => {
    const csrf = await admin.csrf(`${CONSOLE}/users`);
    const before = fingerprint(h);
    const refusals: [Record<string, string | string[]>, string][] = [
      [{ username: 'bob', password: 'long-enough-1' }, 'user-exists'],
      [{ username: 'dave smith', password: 'long-enough-1' }, 'user-bad-name'],
      [{ username: 'dave', password: 'short' }, 'user-bad-password'],
      [{ username: 'dave', password: 'long-enough-1', role: ['reader', 'root'] }, 'user-bad-role'],
      [{ username: 'dave' }, 'bad-input'],
    ];
    for (const [fields, notice] of refusals) {
      const res = await admin.post(`${CONSOLE}/users/create`, { csrf, ...fields });
      assert.equal(res.status, 303, notice);
      assert.match(res.headers.get('location')!, new RegExp(`notice=${notice}`), notice);
    }
    const forged = await admin.post(`${CONSOLE}/users/create`, { csrf, username: 'dave', password: 'long-enough-1' }, { origin: 'https://evil.example' });
    assert.equal(forged.status, 403, 'a cross-site post');
    const noCsrf = await admin.post(`${CONSOLE}/users/create`, { username: 'dave', password: 'long-enough-1' });
    assert.equal(noCsrf.status, 403, 'no CSRF token');
    assert.equal(fingerprint(h), before, 'refusals change nothing');

    const ok = await admin.post(`${CONSOLE}/users/create`, { csrf, username: 'dave', password: 'dave-password-1', role: 'reader' });
    assert.match(ok.headers.get('location')!, /\/users\/view\?name=dave.*notice=user-created/);
    const dave = await h.store.getUserByName('dave');
    assert.deepEqual(dave?.roles, ['reader']);
    assert.notEqual(dave?.password_hash, 'dave-password-1', 'stored hashed');
    const action = (await adminActions(h)).find((a) => a.action === 'user.create' && a.target === 'dave');
    assert.equal(action?.user_id, 'user-1');
    assert.doesNotMatch(JSON.stringify(action), /dave-password-1/, 'the password is not audited');
    const signIn = new FormClient(h);
    assert.equal((await signIn.login('dave', 'dave-password-1')).status, 303, 'dave signs in with the password set');
    assert.equal((await signIn.get(`${CONSOLE}/users`)).res.status, 403, 'a reader is no administrator');
  });

  it('disable and enable a user: disabling revokes every grant and ends their sign-in', async () => {
    await seedGrant(h, 'g-bob-2', 'user-2', 'test-public', ['notes:read']);
    const csrf = await admin.csrf();
    assert.match((await admin.post(`${CONSOLE}/users/disable`, { csrf, user: 'bob' })).headers.get('location')!, /notice=user-disabled/);
    assert.equal((await h.store.getUser('user-2'))?.disabled, true);
    assert.notEqual((await h.store.getGrant('g-bob-2'))?.revoked_at, null);
    assert.match((await admin.post(`${CONSOLE}/users/enable`, { csrf, user: 'bob' })).headers.get('location')!, /notice=user-enabled/);
    assert.equal((await h.store.getUser('user-2'))?.disabled, false);
    assert.match((await admin.post(`${CONSOLE}/users/disable`, { csrf, user: 'alice' })).headers.get('location')!, /notice=user-self/);
  });

  it('the audit log filters by user, client, event type and time, pages, and shows the chain verification', async () => {
    const { res, html } = await admin.get(`${CONSOLE}/audit?user=alice&type=admin.action`);
    assert.equal(res.status, 200);
    assert.match(html, /id="chain-status" data-ok="true"/);
    const types = [...html.matchAll(/<td><code>([a-z_.]+)<\/code><\/td>/g)].map((m) => m[1]);
    assert.ok(types.length >= 3 && types.every((t) => t === 'admin.action'), `only admin.action: ${types.join(',')}`);
    const byClient = await admin.get(`${CONSOLE}/audit?client=${encodeURIComponent('test-public')}&type=token.*,tool.*`);
    assert.match(byClient.html, /token\.issued/);
    assert.doesNotMatch(byClient.html, /<code>admin\.action<\/code>/);
    const future = await admin.get(`${CONSOLE}/audit?since=2100-01-01T00:00:00Z`);
    assert.match(future.html, /No entries match/);
    const bad = await admin.get(`${CONSOLE}/audit?since=yesterday-ish`);
    assert.equal(bad.res.status, 400);
    assert.match(bad.html, /role="alert" id="notice">From: expected an ISO 8601 time/);
    for (let i = 0; i < 55; i++) await h.ctx.audit.record('login.failure', { username: 'mallory', reason: 'wrong password', method: 'password' });
    const first = await admin.get(`${CONSOLE}/audit`);
    const older = /href="([^"]+)" rel="next">Older entries/.exec(first.html);
    assert.ok(older, 'a next page');
    const second = await admin.get(older[1]!.replace(/&amp;/g, '&'));
    assert.match(second.html, /Audit entries before seq \d+/);
  });

  it('rotate the signing key: published now, audited with the administrator (admin.console.keys-rotate)', async () => {
    const before = (await h.store.listSigningKeys()).length;
    const csrf = await admin.csrf(`${CONSOLE}/keys`);
    const res = await admin.post(`${CONSOLE}/keys/rotate`, { csrf });
    assert.match(res.headers.get('location')!, /notice=keys-rotated/);
    const keys = await h.store.listSigningKeys();
    assert.equal(keys.length, before + 1);
    const added = keys.find((k) => k.activates_at > h.clock.now)!;
    assert.ok(h.ctx.keys.jwks().keys.some((k) => k.kid === added.kid), 'this instance publishes it at once');
    const action = (await adminActions(h)).find((a) => a.action === 'keys.rotate')!;
    assert.equal(action.target, added.kid);
    assert.equal(action.user_id, 'user-1');
    assert.deepEqual([(action.detail as Record<string, unknown>).actor, (action.detail as Record<string, unknown>).via], ['alice', 'console']);
    const twice = await admin.post(`${CONSOLE}/keys/rotate`, { csrf });
    assert.match(twice.headers.get('location')!, /notice=keys-pending/);
  });

  it('sign out ends the session', async () => {
    const csrf = await admin.csrf();
    const res = await admin.post(`${CONSOLE}/logout`, { csrf });
    assert.equal(res.status, 303);
    const { html } = await admin.get(CONSOLE);
    assert.match(html, /name="password"/);
  });
});

describe('issue 8: only administrators, signed in through the shared login (admin.console.access)', () => {
  let h: Harness;
  before(async () => {
    h = await startConsoleHarness();
  });
  after(() => h?.close());

  it('anonymous: the shared login page (username, password, CSRF), never a console page', async () => {
    for (const p of ['', '/users', '/keys']) {
      const c = new FormClient(h);
      const { res, html } = await c.get(`${CONSOLE}${p}`);
      assert.equal(res.status, 200);
      assert.match(html, /name="username"/);
      assert.match(html, /action="\/admin\/login"/);
      assert.doesNotMatch(html, /Signed in as/);
      assert.match(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    }
  });

  it('a wrong password stays on the login page (401) and is audited as login.failure', async () => {
    const c = new FormClient(h);
    const { html } = await c.get(CONSOLE);
    const res = await c.post(`${CONSOLE}/login`, { csrf: hiddenInput(html, 'csrf')!, username: 'alice', password: 'nope-nope' });
    assert.equal(res.status, 401);
    const rows = await h.store.listAudit({ types: ['login.failure'], limit: 10 });
    assert.equal(rows.length, 1);
  });

  it('a user without the admin role gets a 403 page on every page and every action; nothing changes', async () => {
    const bob = new FormClient(h);
    assert.equal((await bob.login('bob', BOB_PASSWORD)).status, 303);
    for (const p of ['', '/users', '/audit', '/keys']) {
      const { res, html } = await bob.get(`${CONSOLE}${p}`);
      assert.equal(res.status, 403, p);
      assert.match(html, /id="forbidden"/);
      assert.doesNotMatch(html, /alice/);
    }
    const csrf = hiddenInput((await bob.get(CONSOLE)).html, 'csrf')!;
    const before = fingerprint(h);
    for (const [path, fields] of [['/users/roles', { user: 'bob', role: 'admin' }], ['/keys/rotate', {}], ['/users/disable', { user: 'alice' }]] as const) {
      const res = await bob.post(`${CONSOLE}${path}`, { csrf, ...fields });
      assert.equal(res.status, 403, path);
    }
    assert.equal(fingerprint(h), before);
    assert.deepEqual((await h.store.getUser('user-2'))?.roles, ['reader']);
  });

  it('a session loses the console as soon as the admin role is taken away', async () => {
    const c = new FormClient(h);
    await c.login('alice', 'alice-password');
    assert.equal((await c.get(`${CONSOLE}/users`)).res.status, 200);
    await h.store.updateUserRoles('user-1', ['reader']);
    assert.equal((await c.get(`${CONSOLE}/users`)).res.status, 403);
    await h.store.updateUserRoles('user-1', ['admin']);
  });

  it('with an https issuer the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax', async () => {
    const hs = await (await import('../helpers/as-harness.js')).startHarness({ issuer: 'https://portcullis.example', dev: false } as never);
    try {
      const res = await hs.app.fetch(new Request('https://portcullis.example/admin'));
      assert.equal(res.status, 200);
      const html = await res.text();
      const login = hs.app.fetch(
        new Request('https://portcullis.example/admin/login', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://portcullis.example', cookie: res.headers.getSetCookie()[0]!.split(';')[0]! },
          body: new URLSearchParams({ csrf: hiddenInput(html, 'csrf')!, username: 'alice', password: 'alice-password' }).toString(),
        }),
      );
      const set = (await login).headers.getSetCookie().join('\n');
      assert.match(set, /__Host-portcullis_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure/);
    } finally {
      await hs.close();
    }
  });
});

describe('issue 8: forged cross-site posts are refused with nothing changed (admin.console.csrf)', () => {
  let h: Harness;
  let admin: FormClient;
  let csrf: string;
  before(async () => {
    h = await startConsoleHarness();
    await seedGrant(h, 'g-target', 'user-2', 'test-public', ['notes:read']);
    admin = new FormClient(h);
    await admin.login('alice', 'alice-password');
    csrf = await admin.csrf();
  });
  after(() => h?.close());

  const cases: [string, Record<string, string>, Record<string, string>][] = [
    ['no CSRF token', {}, { origin: ISSUER }],
    ['a wrong CSRF token', { csrf: 'A'.repeat(43) }, { origin: ISSUER }],
    ['another session\'s token shape, empty', { csrf: '' }, {}],
  ];
  for (const [name, extra, headers] of cases) {
    it(`${name}: 403, the grant stays live, nothing written`, async () => {
      const before = fingerprint(h);
      const res = await admin.post(`${CONSOLE}/grants/revoke`, { grant: 'g-target', ...extra }, headers);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /CSRF/);
      assert.equal(fingerprint(h), before);
      assert.equal((await h.store.getGrant('g-target'))?.revoked_at, null);
    });
  }

  it('the right token but a cross-site Origin (or Sec-Fetch-Site: cross-site): 403, nothing written', async () => {
    const forged: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'http://127.0.0.1:9998' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }, { origin: 'null', 'sec-fetch-site': 'same-site' }];
    for (const headers of forged) {
      const before = fingerprint(h);
      const res = await admin.post(`${CONSOLE}/grants/revoke`, { csrf, grant: 'g-target' }, headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match(await res.text(), /another site/);
      assert.equal(fingerprint(h), before);
    }
    assert.equal((await h.store.getGrant('g-target'))?.revoked_at, null);
  });

  it('a cross-site login attempt (login CSRF) is refused too', async () => {
    const c = new FormClient(h);
    const { html } = await c.get(CONSOLE);
    const res = await c.post(`${CONSOLE}/login`, { csrf: hiddenInput(html, 'csrf')!, username: 'alice', password: 'alice-password' }, { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().some((s) => s.startsWith('portcullis_session=')), false);
  });

  it('an open redirect through `back` is not possible: only console paths are followed', async () => {
    for (const back of ['https://evil.example/', '//evil.example/admin', '/admin//evil.example', '/account']) {
      const res = await admin.post(`${CONSOLE}/grants/revoke`, { csrf, grant: 'nope', back });
      assert.equal(res.headers.get('location'), `${CONSOLE}/grants?notice=grant-not-found`, back);
    }
  });

  it('the same token with the right origin works (the control case)', async () => {
    const res = await admin.post(`${CONSOLE}/grants/revoke`, { csrf, grant: 'g-target' });
    assert.equal(res.status, 303);
    assert.notEqual((await h.store.getGrant('g-target'))?.revoked_at, null);
  });
});

describe('issue 8 "How it is shown": the README shows the console screenshots the browser test takes (admin.console.browser)', () => {
  it('every docs/screenshots/admin-*.png the README names exists', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('../helpers/portcullis-process.js');
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    assert.match(readme, /^## Admin console$/m);
    const shots = [...readme.matchAll(/\(docs\/screenshots\/(admin-[a-z-]+\.png)\)/g)].map((m) => m[1]!);
    assert.ok(shots.length >= 6, `screenshots referenced: ${shots.join(', ')}`);
    for (const s of shots) assert.ok(existsSync(join(REPO_ROOT, 'docs', 'screenshots', s)), `${s} exists`);
  });
});
