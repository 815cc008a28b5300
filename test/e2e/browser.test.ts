/**
 * Once in a real browser (headless Chromium via playwright-core): the official SDK v1 client opens the
 * authorization URL in a page; the test types the demo login, clicks Approve on the consent page, and the browser
 * lands on the test's own loopback callback server (a real http server on 127.0.0.1), which captures code, state
 * and iss. This is what a user of a desktop MCP client does; the cookie, CSP (form-action across the redirect)
 * and form handling of the pages are exercised as a browser enforces them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { startCallbackServer, type CallbackServer } from '../helpers/callback-server.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { expectError, toolText } from '../helpers/mcp.js';
import { nativeClientDocument, TestOAuthProvider } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT, serveDemo, type PortcullisProcess } from '../helpers/portcullis-process.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser e2e test`;

describe('e2e: the official SDK client with login and consent in a real browser (e2e.browser)', { skip, timeout: 120_000 }, () => {
  let env: E2eEnv;
  let server: PortcullisProcess | undefined;
  let callback: CallbackServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let client: Client | undefined;

  before(async () => {
    env = await setupE2eEnv();
    callback = await startCallbackServer();
    server = await serveDemo({ port: await freePort(), dataDir: env.newDir('data'), caFile: env.caFile });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext(); // empty: no cookies, no session
    page = await context.newPage();
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    server?.kill();
    await callback?.close();
    await env?.cleanup();
  });

  test('MCP 2026-07-28 [REG] CIMD + [SEC] "Localhost Redirect URI Risks": in Chromium the consent page shows the CIMD host and the loopback warning, Approve lands on the client\'s loopback callback with code, state and iss, and the SDK client then lists and calls tools (e2e.browser.sdk-consent)', async () => {
    const { mcpUrls, issuer, demoPassword } = server!.banner;
    const mcpUrl = mcpUrls[0]!;
    const cimdUrl = env.https.url('/browser-client.json');
    env.https.route('/browser-client.json', { body: nativeClientDocument(cimdUrl, 'Portcullis browser e2e client') });
    const cb = callback!;
    const screenshot = join(REPO_ROOT, 'test', '.tmp', 'browser-consent.png');
    mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });

    let consentText = '';
    let callbackParams: URLSearchParams | undefined;
    const provider = new TestOAuthProvider({
      clientMetadataUrl: cimdUrl,
      redirectUrl: cb.redirectUrl,
      onRedirect: async (url) => {
        // What a desktop client does: open the system browser at the authorization URL.
        await page.goto(url.href);
        await page.fill('input[name="username"]', 'demo');
        await page.fill('input[name="password"]', demoPassword!);
        await page.click('button[type="submit"]');
        const approve = page.locator('button[name="decision"][value="approve"]');
        await approve.waitFor({ state: 'visible', timeout: 15_000 });
        await page.screenshot({ path: screenshot, fullPage: true });
        consentText = await page.locator('main').innerText();
        assert.equal(await page.locator('#client-host').innerText(), new URL(cimdUrl).host, 'CIMD §6.4: the client_id host is shown');
        assert.ok(await page.locator('#loopback-warning').isVisible(), 'the loopback warning is shown');
        await approve.click();
        callbackParams = await cb.next(15_000);
        await page.waitForURL((u) => u.href.startsWith(cb.redirectUrl), { timeout: 15_000 });
      },
    });

    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    const firstClient = new Client({ name: 'portcullis-e2e-browser', version: '1.0.0' });
    await assert.rejects(firstClient.connect(first), expectError(UnauthorizedError));
    await firstClient.close().catch(() => undefined);

    assert.ok(existsSync(screenshot), `screenshot written to ${screenshot}`);
    assert.match(consentText, new RegExp(new URL(cimdUrl).host.replace(/[.]/g, '\\.')), 'the consent page names the CIMD host');
    assert.match(consentText, /Local application/, 'the consent page warns that the redirect is loopback');
    assert.match(consentText, /127\.0\.0\.1/, 'the consent page shows the redirect host');
    assert.match(consentText, /Portcullis browser e2e client/, 'the consent page shows the client_name');

    assert.ok(callbackParams, 'the browser reached the callback server');
    assert.equal(cb.hits.length, 1);
    assert.equal(callbackParams.get('error'), null, `no error: ${callbackParams.get('error_description')}`);
    const code = callbackParams.get('code');
    assert.ok(code, 'code captured by the loopback callback server');
    assert.equal(callbackParams.get('state'), provider.states[0], 'state echoed');
    assert.equal(callbackParams.get('iss'), issuer, 'RFC 9207: iss equal to the issuer');
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('client_id'), cimdUrl);

    await first.finishAuth(code);
    client = new Client({ name: 'portcullis-e2e-browser', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('list_notes') && names.includes('add_note'), `tools: ${names.join(', ')}`);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);
    assert.equal(provider.authorizationUrls.length, 1);
  });
});
