/**
 * Once in a real browser (headless Chromium via playwright-core, flags as in browser.test.ts): a CLI-style client
 * starts the RFC 8628 device flow with openid-client and polls; the user opens verification_uri, types the code,
 * signs in and approves; the client's poll then yields a token that calls a tool through the gateway. The
 * CSP, cookies and plain-HTML forms of the /device pages are exercised as a browser enforces them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { toolText } from '../helpers/mcp.js';
import { REPO_ROOT } from '../helpers/portcullis-process.js';
import { CLI_CLIENT, PASSWORD, startDeviceServer, USER, type DeviceServer } from '../as/device/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser e2e test`;

describe('e2e: the device authorization grant with the code entered and approved in Chromium (e2e.device.browser)', { skip, timeout: 120_000 }, () => {
  let s: DeviceServer | undefined;
  let browser: Browser | undefined;

  before(async () => {
    s = await startDeviceServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await s?.close();
  });

  test('RFC 8628 §3.3 + §5.4: the user types the code at verification_uri, signs in, sees the phishing warning and approves; openid-client\'s poll gets a token that calls a tool through the gateway (e2e.device.browser)', async () => {
    const server = s!;
    const config = await server.oidc(CLI_CLIENT);
    const da = await client.initiateDeviceAuthorization(config, { scope: 'notes:read notes:write', resource: server.resource });
    const polling = client.pollDeviceAuthorizationGrant(config, da);

    const screenshot = join(REPO_ROOT, 'test', '.tmp', 'browser-device-approval.png');
    mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
    const page = await (await browser!.newContext()).newPage(); // empty: no cookies, no session
    // what the device shows: a URL and a code; the user types both
    await page.goto(da.verification_uri);
    await page.fill('input[name="user_code"]', da.user_code.toLowerCase().replace('-', ' '));
    await page.click('button[type="submit"]');
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    const approve = page.locator('button[name="decision"][value="approve"]');
    await approve.waitFor({ state: 'visible', timeout: 15_000 });
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.equal(await page.locator('#user-code').innerText(), da.user_code, 'the code to compare with the device');
    assert.ok(await page.locator('#device-warning').isVisible(), 'RFC 8628 §5.4: the remote phishing warning is shown');
    assert.match(await page.locator('#device-warning').innerText(), /Only approve if you started this on your device/);
    assert.equal(await page.locator('#client-host').innerText(), 'Device CLI');
    const text = await page.locator('main').innerText();
    assert.match(text, /notes:read/);
    assert.match(text, /notes:write/);
    assert.ok(text.includes(server.resource), 'the resource is shown');
    await approve.click();
    await page.locator('#device-done').waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await page.locator('h1').innerText(), /Device connected/);
    assert.ok(existsSync(screenshot), `screenshot written to ${screenshot}`);

    const tokens = await polling;
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, server.resource);
    assert.equal(claims.sub, 'user-alice');
    assert.equal(tokens.scope, 'notes:read notes:write');

    const mcp = new Client({ name: 'portcullis-e2e-device', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(server.resource), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } } }));
    try {
      assert.match(toolText(await mcp.callTool({ name: 'add_note', arguments: { title: 'from the device', body: 'approved in Chromium' } })), /from the device|saved|added/i);
      assert.match(toolText(await mcp.callTool({ name: 'list_notes', arguments: {} })), /from the device/);
    } finally {
      await mcp.close();
    }
  });
});
