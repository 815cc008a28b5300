/**
 * RFC 8628 §3.1–3.2 and §4: the device authorization endpoint's refusals (each the exact OAuth error, nothing
 * written), metadata, configuration, user codes and which clients may use the grant. In-process AS on SQLite.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONFIDENTIAL_SECRET, ISSUER, RESOURCE, startHarness, type Harness } from '../../helpers/as-harness.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { CLIENT_METADATA_GRANT_TYPES } from '../../../src/as/context.js';
import { validateCimdDocument } from '../../../src/as/clients/index.js';
import { formatUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../../src/as/endpoints/device/index.js';
import { newUserCode } from '../../../src/as/endpoints/device/user-code.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const CLIENTS = [
  { client_id: 'dev-public', client_name: 'Public device client', grant_types: [DEVICE] },
  { client_id: 'dev-secret', token_endpoint_auth_method: 'client_secret_basic' as const, client_secret_env: 'TEST_CONFIDENTIAL_SECRET', grant_types: [DEVICE] },
  { client_id: 'web-only', redirect_uris: ['http://127.0.0.1/callback'] },
];
const RESOURCES = [
  { path: '/mcp', upstream: 'http://127.0.0.1:1/mcp', name: 'Test MCP', scopes: ['notes:read', 'notes:write'] },
  { path: '/other', upstream: 'http://127.0.0.1:1/other', name: 'Other MCP', scopes: ['files:read'] },
];

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function post(h: Harness, path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, string>; res: Response }> {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) sp.append(k, one);
  const res = await h.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: sp.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, string>, res };
}

describe('RFC 8628 §3.1 device authorization request: client, resource and scope checks (as.device.client-auth, as.device.resource-scope)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ clients: CLIENTS, resources: RESOURCES });
  });
  after(() => h.close());

  it('public and confidential clients that hold the grant get a code (resource and scope as at /authorize)', async () => {
    const pub = await post(h, '/device_authorization', { client_id: 'dev-public', resource: RESOURCE, scope: 'notes:read' });
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    const conf = await post(h, '/device_authorization', { resource: `${ISSUER}/other` }, { authorization: basic('dev-secret', CONFIDENTIAL_SECRET) });
    assert.equal(conf.status, 200, JSON.stringify(conf.body));
    const stored = await h.store.getDeviceCodeByUserCode(normalizeUserCode(conf.body.user_code!)!, h.clock.now);
    assert.equal(stored?.resource, `${ISSUER}/other`);
    assert.deepEqual(stored?.scope, ['files:read']);
  });

  const refusals: [string, Record<string, string | string[]>, Record<string, string>, number, string][] = [
    ['no client_id', { resource: RESOURCE }, {}, 400, 'invalid_request'],
    ['an unknown client', { client_id: 'nobody', resource: RESOURCE }, {}, 401, 'invalid_client'],
    ['a client without the device grant (RFC 6749 §5.2)', { client_id: 'web-only', resource: RESOURCE }, {}, 400, 'unauthorized_client'],
    ['a wrong client secret', { resource: RESOURCE }, { authorization: basic('dev-secret', 'wrong') }, 401, 'invalid_client'],
    ['a confidential client without its secret', { client_id: 'dev-secret', resource: RESOURCE }, {}, 401, 'invalid_client'],
    ['two client authentication methods', { client_id: 'dev-secret', client_secret: CONFIDENTIAL_SECRET, resource: RESOURCE }, { authorization: basic('dev-secret', CONFIDENTIAL_SECRET) }, 400, 'invalid_request'],
    ['two resources (RFC 8707: one audience per token)', { client_id: 'dev-public', resource: [RESOURCE, `${ISSUER}/other`] }, {}, 400, 'invalid_target'],
    ['no resource while two are configured', { client_id: 'dev-public' }, {}, 400, 'invalid_target'],
    ['an unknown resource', { client_id: 'dev-public', resource: 'https://elsewhere.example/mcp' }, {}, 400, 'invalid_target'],
    ['a resource with a fragment', { client_id: 'dev-public', resource: `${RESOURCE}#x` }, {}, 400, 'invalid_target'],
    ['an unknown scope', { client_id: 'dev-public', resource: RESOURCE, scope: 'notes:read files:read' }, {}, 400, 'invalid_scope'],
    ['a scope with a forbidden character', { client_id: 'dev-public', resource: RESOURCE, scope: 'notes"read' }, {}, 400, 'invalid_scope'],
    ['a repeated scope parameter', { client_id: 'dev-public', resource: RESOURCE, scope: ['notes:read', 'notes:write'] }, {}, 400, 'invalid_request'],
    ['a client_id with a control character', { client_id: 'dev-public\u0001', resource: RESOURCE }, {}, 400, 'invalid_request'],
  ];
  for (const [what, form, headers, status, error] of refusals) {
    it(`${what} → ${status} ${error}, nothing written`, async () => {
      const before = storeFingerprint(h.store);
      const r = await post(h, '/device_authorization', form, headers);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error, error);
      assert.equal(r.res.headers.get('cache-control'), 'no-store');
      if (headers.authorization && status === 401) assert.match(r.res.headers.get('www-authenticate') ?? '', /^Basic/);
      assert.equal(storeFingerprint(h.store), before);
    });
  }

  it('GET, or a body that is not form-encoded, is invalid_request; never a 500', async () => {
    const get = await h.request(`/device_authorization?client_id=dev-public`);
    assert.equal(get.status, 400);
    assert.equal(((await get.json()) as { error: string }).error, 'invalid_request');
    const json = await h.request('/device_authorization', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client_id":"dev-public"}' });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
  });

  it('at /token a client without the grant gets unauthorized_client; a device_code of another client invalid_grant', async () => {
    const { body } = await post(h, '/device_authorization', { client_id: 'dev-public', resource: RESOURCE });
    const web = await post(h, '/token', { grant_type: DEVICE, client_id: 'web-only', device_code: body.device_code! });
    assert.equal(web.body.error, 'unauthorized_client');
    const other = await post(h, '/token', { grant_type: DEVICE, device_code: body.device_code! }, { authorization: basic('dev-secret', CONFIDENTIAL_SECRET) });
    assert.equal(other.body.error, 'invalid_grant');
    const mine = await post(h, '/token', { grant_type: DEVICE, client_id: 'dev-public', device_code: body.device_code! });
    assert.equal(mine.body.error, 'authorization_pending', 'the code was not touched by the other clients');
  });
});

describe('RFC 8628 §4 metadata and device.enabled (as.device.metadata)', () => {
  it('device_authorization_endpoint and the grant type are advertised', async () => {
    const h = await startHarness();
    try {
      const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
      assert.equal(m.device_authorization_endpoint, `${ISSUER}/device_authorization`);
      assert.ok((m.grant_types_supported as string[]).includes(DEVICE));
    } finally {
      await h.close();
    }
  });

  it('device.enabled: false → neither advertised, no endpoint or page (404), and the grant is unsupported_grant_type', async () => {
    const h = await startHarness({ clients: CLIENTS, device: { enabled: false } });
    try {
      const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
      assert.equal(m.device_authorization_endpoint, undefined);
      assert.ok(!(m.grant_types_supported as string[]).includes(DEVICE));
      assert.equal((await h.request('/device_authorization', { method: 'POST' })).status, 404);
      assert.equal((await h.request('/device')).status, 404);
      const t = await post(h, '/token', { grant_type: DEVICE, client_id: 'dev-public', device_code: 'x' });
      assert.equal(t.body.error, 'unsupported_grant_type');
    } finally {
      await h.close();
    }
  });
});

describe('RFC 8628 §6.1 user codes (as.device.user-code)', () => {
  it('8 characters of BCDFGHJKLMNPQRSTVWXZ, shown as XXXX-XXXX; normalized case- and dash-insensitively; anything else refused', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = newUserCode();
      assert.match(c, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      seen.add(c);
    }
    assert.ok(seen.size > 1990, 'codes do not repeat in practice');
    assert.equal(USER_CODE_ALPHABET.length, 20);
    assert.equal(formatUserCode('WDJBMJHT'), 'WDJB-MJHT');
    for (const typed of ['WDJB-MJHT', 'wdjb-mjht', 'wdjbmjht', ' WDJB MJHT ', 'Wd-Jb-Mj-Ht']) assert.equal(normalizeUserCode(typed), 'WDJBMJHT', typed);
    for (const bad of ['', 'WDJB-MJH', 'WDJB-MJHTX', 'WDJB-MJH0', 'AEIO-UAEI', 'WDJB_MJHT']) assert.equal(normalizeUserCode(bad), null, bad);
  });
});

describe('issue 4 item 4: who may use the device grant (as.device.clients)', () => {
  it('a CIMD document may declare it (public client); a static client lists it in config', () => {
    assert.ok(CLIENT_METADATA_GRANT_TYPES.includes(DEVICE));
    const url = 'https://cli.example/client.json';
    const client = validateCimdDocument(url, { client_id: url, client_name: 'CLI', redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', DEVICE], token_endpoint_auth_method: 'none' }, { supportedGrantTypes: CLIENT_METADATA_GRANT_TYPES });
    assert.ok(client.grant_types.includes(DEVICE));
    const without = validateCimdDocument(url, { client_id: url, client_name: 'CLI', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' }, { supportedGrantTypes: CLIENT_METADATA_GRANT_TYPES });
    assert.ok(!without.grant_types.includes(DEVICE), 'not without declaring it');
  });
});

describe('ARCHITECTURE "Two error channels": device options fail at start naming the option (as.device.config)', () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORTCULLIS_DEVICE__INTERVAL: '0' }, 'device.interval'],
    [{ PORTCULLIS_DEVICE__EXPIRES_IN: '5' }, 'device.expires_in'],
    [{ PORTCULLIS_DEVICE__EXPIRES_IN: '30', PORTCULLIS_DEVICE__INTERVAL: '30' }, 'device.interval'],
    [{ PORTCULLIS_RATE_LIMITS__DEVICE__USER_CODE__LIMIT: '0' }, 'rate_limits.device.user_code.limit'],
  ];
  for (const [env, option] of cases) {
    it(`${JSON.stringify(env)} → ConfigError ${option}`, () => {
      assert.throws(() => loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'pc-device-')), env }), (e: unknown) => e instanceof ConfigError && e.option === option);
    });
  }
  it('defaults: enabled, expires_in 600, interval 5 (RFC 8628 §3.2)', () => {
    const { config } = loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'pc-device-')), env: {} });
    assert.deepEqual(config.device, { enabled: true, expires_in: 600, interval: 5 });
  });
});
