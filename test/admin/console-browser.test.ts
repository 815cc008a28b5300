/**
 * Issue 8 "How it is shown": the admin console in Debian's Chromium (playwright-core), against a real server
 * process (`serve --demo`, trust mode review) with the real gateway in front of the demo notes server. An
 * administrator signs in, approves a pending CIMD client, revokes a user's grant (and the gateway then refuses
 * that user's token — a real token from a real authorization), filters the audit log; a non-administrator is
 * refused; a forged cross-site form post from another origin is refused with nothing changed. Each page is saved
 * as a screenshot: to docs/screenshots/admin-*.png (shown in the README) with PORTCULLIS_UPDATE_SCREENSHOTS=1, else
 * to a temporary directory, so that a test run leaves the checkout unchanged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hashPassword } from '../../src/as/passwords.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { pkcePair } from '../helpers/as-harness.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { toolText } from '../helpers/mcp.js';
import { nativeClientDocument } from '../helpers/oauth-provider.js';
import { REPO_ROOT, type Banner } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';
import { BOB_PASSWORD, serveFromSource, tableProblems, unlabelledControls } from './helpers/console.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the console browser test`;
const SHOTS = process.env.PORTCULLIS_UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'portcullis-console-shots-'));
const REDIRECT_URI = 'http://127.0.0.1:53111/callback';

describe('issue 8: the admin console in Chromium (admin.console.browser)', { skip, timeout: 240_000 }, () => {
  let env: E2eEnv;
  let server: { banner: Banner; stop(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  let evil: Server | undefined;
  let store: Store;
  let issuer: string;
  let mcpUrl: string;
  let cimdUrl: string;
  let admin: Page;

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage: true });

  /** bob's MCP client: authorization code + PKCE through the real AS, as the CIMD client */
  async function bobToken(): Promise<string> {
    const { verifier, challenge } = pkcePair();
    const u = new URL(`${issuer}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: cimdUrl, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', state: 's1', scope: 'notes:read', resource: mcpUrl })) u.searchParams.set(k, v);
    const { location } = await driveAuthorization(fetch, u.href, { username: 'bob', password: BOB_PASSWORD });
    const code = new URL(location).searchParams.get('code');
    assert.ok(code, `a code: ${location}`);
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: cimdUrl, resource: mcpUrl }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.access_token!;
  }

  const mcpStatus = async (token: string) =>
    (await fetch(mcpUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) })).status;

  before(async () => {
    env = await setupE2eEnv();
    const dataDir = env.newDir('data');
    const port = await freePort();
    server = await serveFromSource(['serve', '--demo', '--port', String(port), '--data-dir', dataDir], {
      NODE_EXTRA_CA_CERTS: env.caFile,
      PORTCULLIS_TRUST__MODE: 'review',
      PORTCULLIS_LOG_LEVEL: 'warn',
      PORTCULLIS_SHUTDOWN_GRACE_S: '0',
    });
    issuer = server.banner.issuer;
    mcpUrl = server.banner.mcpUrls[0]!;
    store = await openStore(`sqlite:${join(dataDir, 'portcullis.db')}`);
    await store.createUser({ id: randomUUID(), username: 'bob', password_hash: await hashPassword(BOB_PASSWORD), roles: ['reader'], disabled: false, created_at: Date.now() });
    cimdUrl = env.https.url('/console-client.json');
    env.https.route('/console-client.json', { body: nativeClientDocument(cimdUrl, 'Notes Desktop (console e2e)') });
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
    await store?.close().catch(() => undefined);
    await server?.stop();
    await env?.cleanup();
  });

  test('an administrator signs in, approves the pending CIMD client, revokes a user\'s grant (the gateway then refuses the token) and filters the audit log', async () => {
    // bob's client arrives first: review mode holds it as pending (403 "Awaiting approval", never a login)
    const first = await fetch(`${issuer}/authorize?${new URLSearchParams({ response_type: 'code', client_id: cimdUrl, redirect_uri: REDIRECT_URI, code_challenge: pkcePair().challenge, code_challenge_method: 'S256', resource: mcpUrl })}`, { redirect: 'manual' });
    assert.equal(first.status, 403);
    assert.match(await first.text(), /Awaiting approval/);

    // sign in through the shared login page
    await admin.goto(`${issuer}/admin`);
    await shot(admin, 'login');
    await admin.fill('input[name="username"]', 'demo');
    await admin.fill('input[name="password"]', 'not-the-password');
    await admin.click('button[type="submit"]');
    assert.match(await admin.locator('[role="alert"]').innerText(), /Invalid username or password/);
    await admin.fill('input[name="username"]', 'demo');
    await admin.fill('input[name="password"]', server!.banner.demoPassword!);
    await admin.click('button[type="submit"]');
    await admin.waitForURL(`${issuer}/admin`);
    assert.equal(await admin.locator('h1').innerText(), 'Overview');
    assert.match(await admin.locator('header.top').innerText(), /Signed in as demo/);

    // approve the pending client from the clients list
    await admin.click('nav >> text=Clients');
    const row = admin.locator('#clients tr', { hasText: cimdUrl });
    assert.match(await row.innerText(), /pending/);
    await shot(admin, 'clients');
    await admin.click('a:has-text("console-client.json")');
    assert.match(await admin.locator('#client-document').innerText(), /Notes Desktop \(console e2e\)/, 'the document as fetched');
    await shot(admin, 'client');
    await admin.click('button[aria-label="Approve Notes Desktop (console e2e)"]');
    assert.match(await admin.locator('#notice').innerText(), /Client approved/);
    assert.match(await admin.locator('#trust-status').innerText(), /approved/);

    // bob's client now completes a real authorization; the real gateway accepts the token
    const token = await bobToken();
    const client = new Client({ name: 'console-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);
    // a reader asking to write: the gateway's step-up challenge (403 insufficient_scope), counted on the overview
    await assert.rejects(client.callTool({ name: 'add_note', arguments: { text: 'x' } }));
    await client.close();
    await new Promise((r) => setTimeout(r, 1500)); // tool events are batched (flushed at least every second)
    await admin.click('nav >> text=Overview');
    assert.equal(await admin.locator('#count-grants').innerText(), '1');
    assert.equal(await admin.locator('#chart-issued .chart-total').innerText(), '1', 'one token issued');
    assert.equal(await admin.locator('#chart-stepups .chart-total').innerText(), '1', 'one step-up challenge');
    assert.ok(Number(await admin.locator('#chart-denials .chart-total').innerText()) >= 1, 'the failed sign-in is a denial');
    await shot(admin, 'overview');

    // revoke bob's grant from his user page
    await admin.click('nav >> text=Users');
    await shot(admin, 'users');
    await admin.click('#users a:has-text("bob")');
    await admin.locator('#user-grants').waitFor();
    await shot(admin, 'user');
    await admin.click('#user-grants button[aria-label^="Revoke grant"]');
    assert.match(await admin.locator('#notice').innerText(), /Grant revoked/);
    assert.equal(await mcpStatus(token), 401, 'the gateway refuses the revoked grant\'s token at once');

    // filter the audit log: bob's token events only
    await admin.click('nav >> text=Audit log');
    assert.match(await admin.locator('#chain-status').innerText(), /chain intact/);
    await admin.fill('#a-user', 'bob');
    await admin.fill('#a-type', 'token.*');
    await admin.click('form[role="search"] button[type="submit"]');
    await admin.waitForURL(/\/admin\/audit\?user=bob&client=&type=token\.\*/);
    const events = await admin.locator('#audit tbody td:nth-child(3)').allInnerTexts();
    assert.ok(events.length >= 1 && events.every((e) => e.startsWith('token.')), `filtered: ${events.join(', ')}`);
    await shot(admin, 'audit');

    // the other pages, as a person would look at them; each fully labelled
    for (const [nav, name] of [['Grants', 'grants'], ['Policy', 'policy'], ['Signing keys', 'keys']] as const) {
      await admin.click(`nav >> text=${nav}`);
      const html = await admin.content();
      assert.deepEqual(unlabelledControls(html), [], `${name}: labels`);
      assert.deepEqual(tableProblems(html), [], `${name}: tables`);
      if (name !== 'keys') await shot(admin, name); // the keys page is shot after the rotation below
    }
    await admin.click('button:has-text("Rotate signing key")');
    assert.match(await admin.locator('#notice').innerText(), /New signing key created/);
    assert.match(await admin.locator('#keys').innerText(), /published/);
    await shot(admin, 'keys');

    // narrow screen: nothing wider than the viewport
    await admin.setViewportSize({ width: 390, height: 844 });
    await admin.goto(`${issuer}/admin`);
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
    await shot(admin, 'overview-narrow');
    await admin.goto(`${issuer}/admin/users`);
    assert.ok((await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 1);
    await admin.setViewportSize({ width: 1280, height: 900 });
  });

  test('a signed-in user without the admin role is refused (403) in the browser', async () => {
    const page = await (await browser!.newContext()).newPage();
    await page.goto(`${issuer}/admin`);
    await page.fill('input[name="username"]', 'bob');
    await page.fill('input[name="password"]', BOB_PASSWORD);
    const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${issuer}/admin` && r.request().method() === 'GET'), page.click('button[type="submit"]')]);
    assert.equal(res.status(), 403);
    assert.match(await page.locator('#forbidden').innerText(), /does not hold the admin role/);
    await shot(page, 'forbidden');
    const users = await page.goto(`${issuer}/admin/users`);
    assert.equal(users?.status(), 403);
  });

  test('a forged cross-site form post (another origin, guessed CSRF token) is refused with the grant left live', async () => {
    await bobToken(); // a live grant to aim at
    const live = (await store.listGrants({})).find((g) => g.client_id === cimdUrl);
    assert.ok(live, 'bob holds a live grant');
    // the attacker's page: another origin on this machine (same site, so the Lax session cookie IS sent)
    const evilPort = await freePort();
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="post" action="${issuer}/admin/grants/revoke"><input name="csrf" value="guessed"><input name="grant" value="${live.id}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil!.listen(evilPort, '127.0.0.1', r));
    const [res] = await Promise.all([admin.waitForResponse((r) => r.url() === `${issuer}/admin/grants/revoke`), admin.goto(`http://127.0.0.1:${evilPort}/`)]);
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /another site/);
    assert.equal((await store.getGrant(live.id))?.revoked_at, null, 'nothing changed');
    // the console itself still works for the administrator
    await admin.goto(`${issuer}/admin/grants`);
    assert.match(await admin.locator('#grants').innerText(), new RegExp(live.id));
  });
});
