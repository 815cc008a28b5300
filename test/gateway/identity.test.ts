/**
 * Issue 7 item 3: identity to the upstream without token passthrough, through the real runtime and AS. Three
 * mounts: `assertion` (a signed identity JWT the upstream verifies against our JWKS), `static` (credentials from
 * an env variable and a file), `none`. In no mode does the client's access token reach an upstream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { configSchema } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { startRuntime } from '../../src/server/runtime.js';
import { ISSUER, PUBLIC_CLIENT } from '../helpers/as-harness.js';
import { startOps, type OpsHarness } from '../server/ops-harness.js';
import { MCP_HEADERS, toolCall } from './helpers/harness.js';
import { accessToken } from './helpers/runtime-flow.js';
import { startUpstream, statelessMcp, type SeenRequest, type Upstream } from './helpers/upstream.js';

const PAT = 'ghp_static-secret-never-shown-7f3a';
const API_KEY = 'file-secret-never-shown-91c2';
const [ASSERT, STATIC, NONE] = ['/mcp/a', '/mcp/s', '/mcp/n'].map((p) => `${ISSUER}${p}`) as [string, string, string];

describe('gateway: upstream identity (issue 7 item 3)', () => {
  const ups: Upstream[] = [];
  let h: OpsHarness;
  let dir: string;
  const tokens = new Map<string, string>();

  before(async () => {
    for (let i = 0; i < 3; i++) ups.push(await startUpstream(statelessMcp('json')));
    dir = mkdtempSync(join(tmpdir(), 'portcullis-identity-'));
    writeFileSync(join(dir, 'api-key'), `${API_KEY}\n`);
    h = await startOps(
      ups[0]!.url,
      {
        resources: [
          { path: '/mcp/a', upstream: ups[0]!.url, scopes: ['a:read'], identity: { mode: 'assertion' } },
          { path: '/mcp/s', upstream: ups[1]!.url, scopes: ['s:read'], identity: { mode: 'static', static_headers_env: { Authorization: 'TEST_GH_PAT' }, static_headers_file: { 'X-Api-Key': join(dir, 'api-key') } } },
          { path: '/mcp/n', upstream: ups[2]!.url, scopes: ['n:read'] },
        ],
      },
      undefined,
      { TEST_GH_PAT: `token ${PAT}` },
    );
    for (const [id, scope] of [[ASSERT, 'a:read'], [STATIC, 's:read'], [NONE, 'n:read']] as const) tokens.set(id, await accessToken(h, id, scope));
  });
  after(async () => {
    await h?.close();
    for (const u of ups) await u.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = (url: string, extra: Record<string, string> = {}, token = tokens.get(url)!) =>
    h.request(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...extra }, body: JSON.stringify(toolCall('echo')) });
  const last = (u: Upstream): SeenRequest => u.seen.at(-1)!;

  test('the upstream gets a signed identity JWT it verifies against the real JWKS (gw.identity.assertion)', async () => {
    const res = await call(ASSERT, { 'x-portcullis-identity': 'forged-by-client' });
    assert.equal(res.status, 200);
    await res.text();
    const jwt = last(ups[0]!).headers['x-portcullis-identity'];
    assert.equal(typeof jwt, 'string', 'exactly one identity header, the gateway one');
    assert.notEqual(jwt, 'forged-by-client');
    const jwks = createRemoteJWKSet(new URL(`${h.runtime.listenUrl}/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(jwt as string, jwks, { issuer: ISSUER, audience: ups[0]!.url, typ: 'portcullis-identity+jwt', algorithms: ['ES256'] });
    assert.equal(protectedHeader.typ, 'portcullis-identity+jwt');
    assert.ok(protectedHeader.kid);
    const at = decodeJwt(tokens.get(ASSERT)!);
    assert.equal(payload.sub, at.sub);
    assert.equal(payload.client_id, PUBLIC_CLIENT);
    assert.equal(payload.scope, 'a:read');
    assert.ok(typeof payload.jti === 'string' && payload.jti.length > 0);
    assert.ok(payload.exp! - payload.iat! <= 60 && payload.exp! > payload.iat!);
    // the hot path reuses it for the same grant and scopes
    await (await call(ASSERT)).text();
    assert.equal(last(ups[0]!).headers['x-portcullis-identity'], jwt);
  });

  test('the assertion is not an access token anywhere at the gateway (typ refused) (gw.identity.assertion)', async () => {
    const jwt = last(ups[0]!).headers['x-portcullis-identity'] as string;
    assert.equal(decodeProtectedHeader(jwt).typ, 'portcullis-identity+jwt');
    const seen = ups.map((u) => u.seen.length);
    for (const url of [ASSERT, STATIC, NONE]) {
      const res = await call(url, {}, jwt);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await res.body?.cancel();
    }
    assert.deepEqual(ups.map((u) => u.seen.length), seen, 'nothing forwarded');
  });

  test('the secret headers are injected upstream, client copies stripped, never shown to the client (gw.identity.static)', async () => {
    const res = await call(STATIC, { 'x-api-key': 'client-chosen' });
    assert.equal(res.status, 200);
    const text = await res.text();
    const seen = last(ups[1]!).headers;
    assert.equal(seen.authorization, `token ${PAT}`);
    assert.equal(seen['x-api-key'], API_KEY);
    const shown = JSON.stringify([...res.headers]) + text;
    for (const secret of [PAT, API_KEY]) assert.ok(!shown.includes(secret), 'the client never sees the secret');
    // the 401 and the PRM of that mount do not show it either
    for (const r of [await h.request(STATIC, { method: 'POST', headers: MCP_HEADERS, body: '{}' }), await h.request('/.well-known/oauth-protected-resource/mcp/s')]) {
      const all = JSON.stringify([...r.headers]) + (await r.text());
      assert.ok(!all.includes(PAT) && !all.includes(API_KEY));
    }
  });

  test('a missing secret fails at start naming the option (gw.identity.static)', async () => {
    const config = configSchema.parse({
      issuer: ISSUER,
      port: 0,
      dev: true,
      data_dir: join(dir, 'never-created'),
      resources: [{ path: '/mcp', upstream: ups[1]!.url, identity: { mode: 'static', static_headers_env: { Authorization: 'TEST_UNSET_PAT' } } }],
    });
    await assert.rejects(startRuntime(config, { env: { PORTCULLIS_SECRET: 's'.repeat(43) }, log: createLogger('silent') }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.option, 'resources[0].identity.static_headers_env.Authorization');
      assert.match(e.message, /TEST_UNSET_PAT/);
      return true;
    });
    const resolveWith = (identity: unknown) => resolveSettings(configSchema.parse({ issuer: ISSUER, dev: true, resources: [{ upstream: ups[1]!.url, identity }] }));
    assert.throws(() => resolveWith({ static_headers_env: { Authorization: 'X' } }), /resources\[0\]\.identity\.mode: .*need mode: static/);
    assert.throws(() => resolveWith({ mode: 'static' }), /resources\[0\]\.identity\.static_headers_env: /);
    assert.throws(() => resolveWith({ mode: 'static', static_headers_env: { Host: 'X' } }), /header "host" is set by the gateway/);
  });

  test('no client identity header is forwarded (mode none too) (gw.identity.no-passthrough)', async () => {
    await (await call(NONE, { 'x-portcullis-identity': 'forged-by-client' })).text();
    const seen = last(ups[2]!).headers;
    assert.equal(seen['x-portcullis-identity'], undefined);
    assert.equal(seen.authorization, undefined);
  });

  test("the client's access token never reaches any upstream, in any mode (gw.identity.no-passthrough)", async () => {
    const all = ups.flatMap((u) => u.seen);
    assert.ok(all.length >= 4);
    for (const token of tokens.values()) {
      for (const r of all) {
        assert.ok(!JSON.stringify(r.headers).includes(token), 'no header carries a client token');
        assert.ok(!r.body.includes(token));
        if (r.headers.authorization !== undefined) assert.equal(r.headers.authorization, `token ${PAT}`);
      }
    }
  });
});
