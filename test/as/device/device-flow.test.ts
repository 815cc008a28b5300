/**
 * RFC 8628 end to end on the real runtime (real HTTP on loopback, real SQLite file, the gateway in front of the
 * demo notes server), driven by a certified client library: openid-client's initiateDeviceAuthorization and
 * pollDeviceAuthorizationGrant, with the /device page driven as form posts (test/helpers/device-driver.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { driveDevice } from '../../helpers/device-driver.js';
import { toolText } from '../../helpers/mcp.js';
import { CLI_CLIENT, CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, DEVICE_GRANT, OTHER_CLIENT, PASSWORD, startDeviceServer, USER, type DeviceServer } from './harness.js';

let s: DeviceServer;
before(async () => {
  s = await startDeviceServer();
});
after(() => s.close());

/** a raw device_code poll (RFC 8628 §3.4), as a public client or with HTTP Basic */
async function poll(clientId: string, device_code: string, secret?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form: Record<string, string> = { grant_type: DEVICE_GRANT, device_code };
  if (secret) headers.authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  else form.client_id = clientId;
  const res = await s.request('/token', { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function start(clientId = CLI_CLIENT, params: Record<string, string> = { scope: 'notes:read' }, secret?: string): Promise<{ config: client.Configuration; da: client.DeviceAuthorizationResponse; log: string[] }> {
  const log: string[] = [];
  const config = await s.oidc(clientId, secret, log);
  const da = await client.initiateDeviceAuthorization(config, { resource: s.resource, ...params });
  return { config, da, log };
}

const approve = (da: client.DeviceAuthorizationResponse, decision: 'approve' | 'deny' = 'approve') =>
  driveDevice((u, i) => fetch(u, i), da.verification_uri_complete!, { username: USER, password: PASSWORD, decision });

/** waits (bounded) until the library's polling has seen `error` */
async function until(log: string[], error: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!log.includes(error)) {
    if (Date.now() > end) throw new Error(`no ${error} within ${ms} ms: ${log.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejectsWith(p: Promise<unknown>, error: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof client.ResponseBodyError, `a ResponseBodyError, got ${String(e)}`);
    assert.equal(e.error, error);
    assert.equal(e.status, 400, 'RFC 6749 §5.2: token errors are 400');
    return true;
  });
}

describe('RFC 8628 §3.1–3.2 device authorization response (as.device.authorization, as.device.user-code)', () => {
  it('openid-client gets device_code, an XXXX-XXXX user_code from the base-20 alphabet, verification_uri(_complete), expires_in and interval', async () => {
    const { da } = await start();
    assert.ok(da.device_code.length >= 43, 'device_code has 256 bits of entropy');
    assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(da.verification_uri, `${s.issuer}/device`);
    assert.equal(da.verification_uri_complete, `${s.issuer}/device?user_code=${da.user_code}`);
    assert.equal(da.expires_in, 120);
    assert.equal(da.interval, 1);
    const stored = await s.runtime.store.getDeviceCodeByUserCode(da.user_code.replace('-', ''), s.clock.fn());
    assert.equal(stored?.status, 'pending');
    assert.deepEqual(stored?.scope, ['notes:read']);
    assert.equal(stored?.resource, s.resource);
    assert.notEqual(stored?.device_code_hash, da.device_code, 'the device_code is stored hashed');
  });

  it('answers with Cache-Control: no-store; no resource with one configured → that one; no scope → the resource\'s scopes', async () => {
    const res = await s.request('/device_authorization', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${CLI_CLIENT}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { user_code: string };
    const stored = await s.runtime.store.getDeviceCodeByUserCode(body.user_code.replace('-', ''), s.clock.fn());
    assert.equal(stored?.resource, s.resource);
    assert.deepEqual(stored?.scope, ['notes:read', 'notes:write', 'notes:admin']);
  });
});

describe('RFC 8628 §3.4–3.5 polling with openid-client (as.device.pending, as.device.tokens, as.device.single-use)', () => {
  it('authorization_pending until the user approves at /device; then a resource-bound JWT and a refresh token that work through the gateway; audited', async () => {
    const { config, da, log } = await start(CLI_CLIENT, { scope: 'notes:read offline_access' });
    const polling = client.pollDeviceAuthorizationGrant(config, da);
    await until(log, 'authorization_pending');
    const { last, pages } = await approve(da);
    assert.equal(last.status, 200);
    assert.match(last.html, /Device connected/);
    assert.match(pages.find((p) => p.html.includes('name="decision"'))!.html, /Only approve if you started this on your device/);
    const tokens = await polling;
    assert.equal(log[0], 'authorization_pending', 'the first poll was pending');
    assert.equal(log.at(-1), 'tokens');
    assert.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, s.resource, 'RFC 8707: bound to the one resource');
    assert.equal(claims.client_id, CLI_CLIENT);
    assert.equal(claims.sub, 'user-alice');
    assert.equal(tokens.scope, 'notes:read offline_access');
    assert.ok(tokens.refresh_token, 'a refresh token, as the authorization code grant gives');

    const audit = await s.runtime.store.listAudit({ types: ['device.authorized', 'token.issued'], order: 'desc', limit: 2 });
    const issued = audit.find((e) => e.type === 'token.issued')!;
    assert.equal(JSON.parse(issued.data).grant_type, DEVICE_GRANT);
    assert.equal(issued.client_id, CLI_CLIENT);
    const authorized = audit.find((e) => e.type === 'device.authorized')!;
    assert.equal(authorized.user_id, 'user-alice');
    assert.equal(JSON.parse(authorized.data).grant_id, claims.grant_id);

    // the token works through the gateway: a tool call on the demo notes server
    const mcp = new Client({ name: 'device-flow-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(s.resource), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } } }));
    try {
      assert.match(toolText(await mcp.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);
    } finally {
      await mcp.close();
    }
    // the refresh token rotates like any other
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(decodeJwt(refreshed.access_token).aud, s.resource);

    // codes are single use: the same device_code again is invalid_grant
    const again = await poll(CLI_CLIENT, da.device_code);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    assert.equal(again.headers.get('cache-control'), 'no-store');
  });

  it('an unknown device_code is invalid_grant; a missing one invalid_request', async () => {
    assert.equal((await poll(CLI_CLIENT, 'not-a-device-code')).body.error, 'invalid_grant');
    const res = await s.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=${encodeURIComponent(DEVICE_GRANT)}&client_id=${CLI_CLIENT}` });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });

  it('twenty concurrent polls of an approved code: exactly one gets tokens, the others invalid_grant', async () => {
    const { da } = await start();
    await approve(da);
    const results = await Promise.all(Array.from({ length: 20 }, () => poll(CLI_CLIENT, da.device_code)));
    assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.body.error ?? 'ok')));
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
  });
});

describe('RFC 8628 §3.5 slow_down (as.device.slow-down)', () => {
  it('a poll sooner than the interval gets slow_down and the interval grows by 5 s for every later poll; openid-client keeps polling and succeeds', async () => {
    const { config, da, log } = await start();
    const code = da.user_code.replace('-', '');
    assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'authorization_pending');
    const fast = await poll(CLI_CLIENT, da.device_code);
    assert.equal(fast.status, 400);
    assert.equal(fast.body.error, 'slow_down');
    assert.equal((await s.runtime.store.getDeviceCodeByUserCode(code, s.clock.fn()))?.interval, 6);
    // 2 s later is still too soon for the raised interval of 6 s
    s.clock.advance(2_000);
    assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'slow_down');
    assert.equal((await s.runtime.store.getDeviceCodeByUserCode(code, s.clock.fn()))?.interval, 11);
    s.clock.advance(12_000);
    assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'authorization_pending');
    // the certified client, told interval 1 at first, now polls too fast once and slows down by itself
    const polling = client.pollDeviceAuthorizationGrant(config, da);
    await until(log, 'slow_down');
    await approve(da);
    s.clock.advance(12_000);
    const tokens = await polling;
    assert.ok(tokens.access_token);
    assert.ok(log.includes('slow_down'), log.join(', '));
  });
});

describe('RFC 8628 §3.5 expired_token and access_denied (as.device.expired, as.device.denied)', () => {
  it('after expires_in the poll is expired_token (injected clock), and openid-client reports it', async () => {
    const { config, da } = await start();
    s.clock.advance(121_000);
    await rejectsWith(client.pollDeviceAuthorizationGrant(config, da), 'expired_token');
    assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'expired_token');
  });

  it('after the user denies at /device the poll is access_denied (400), every time; audited device.denied', async () => {
    const { config, da } = await start();
    const { last } = await approve(da, 'deny');
    assert.match(last.html, /Access denied/);
    await rejectsWith(client.pollDeviceAuthorizationGrant(config, da), 'access_denied');
    s.clock.advance(2_000);
    assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'access_denied');
    const [denied] = await s.runtime.store.listAudit({ types: ['device.denied'], order: 'desc', limit: 1 });
    assert.equal(denied?.client_id, CLI_CLIENT);
    assert.equal(denied?.user_id, 'user-alice');
  });

  it('a grant revoked between approval and the poll, or a user disabled meanwhile, gets invalid_grant', async () => {
    const first = await start();
    await approve(first.da);
    const grantId = (await s.runtime.store.listGrants({ client_id: CLI_CLIENT })).at(0)!.id;
    await s.runtime.store.revokeGrant(grantId, s.clock.fn(), 'test');
    assert.equal((await poll(CLI_CLIENT, first.da.device_code)).body.error, 'invalid_grant');

    const second = await start();
    await approve(second.da);
    await s.runtime.store.setUserDisabled('user-alice', true);
    try {
      assert.equal((await poll(CLI_CLIENT, second.da.device_code)).body.error, 'invalid_grant');
    } finally {
      await s.runtime.store.setUserDisabled('user-alice', false);
    }
  });
});

describe('RFC 6749 §5.2 / RFC 8628 §3.4: a device_code belongs to its client (as.device.client-binding)', () => {
  it('another client redeeming an approved device_code gets invalid_grant and changes nothing; the right client then gets its tokens', async () => {
    const { config, da } = await start();
    await approve(da);
    const other = await poll(OTHER_CLIENT, da.device_code);
    assert.equal(other.status, 400);
    assert.equal(other.body.error, 'invalid_grant');
    const confidential = await poll(CONFIDENTIAL_CLIENT, da.device_code, CONFIDENTIAL_SECRET);
    assert.equal(confidential.body.error, 'invalid_grant');
    const tokens = await client.pollDeviceAuthorizationGrant(config, da);
    assert.equal(decodeJwt(tokens.access_token).client_id, CLI_CLIENT);
  });
});

describe('RFC 8628 §3.1 client authentication as at /token (as.device.client-auth)', () => {
  it('a confidential client authenticates with client_secret_basic through openid-client and gets no refresh token without the refresh grant', async () => {
    const { config, da } = await start(CONFIDENTIAL_CLIENT, { scope: 'notes:read' }, CONFIDENTIAL_SECRET);
    await approve(da);
    const tokens = await client.pollDeviceAuthorizationGrant(config, da);
    assert.equal(decodeJwt(tokens.access_token).client_id, CONFIDENTIAL_CLIENT);
    assert.equal(tokens.refresh_token, undefined);
  });
});
