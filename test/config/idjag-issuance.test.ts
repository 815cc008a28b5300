import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/config/idjag-issuance-schema.js';
import { startRuntime } from '../../src/server/runtime.js';
import { silentLogger } from '../../src/core/log.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.TEST_IDJAG_SECRET = 'a-client-secret-for-tests';
const ISSUER = 'https://idp.example';
const app = { client_id: 'app', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic' as const, client_secret_env: 'TEST_IDJAG_SECRET', grant_types: ['authorization_code', TOKEN_EXCHANGE_GRANT] };
const target = { audience: 'https://as.chat.example', resources: ['https://mcp.chat.example/mcp'], clients: [{ client_id: 'app' }], scopes: ['chat.read'] };

function resolve(over: Partial<ConfigInput>) {
  return resolveSettings(configSchema.parse({ issuer: ISSUER, resources: [{ path: '/mcp', scopes: ['a'] }], clients: [app], ...over }));
}
function optionOf(over: Partial<ConfigInput>): string {
  try {
    resolve(over);
  } catch (e) {
    if (e instanceof ConfigError) return e.option;
    throw e;
  }
  assert.fail('no ConfigError');
}
const policy = (targets: unknown[]) => ({ enterprise: { idjag_issuance: { targets } } }) as Partial<ConfigInput>;

describe('ARCHITECTURE "Two error channels": the ID-JAG issuance policy fails at start naming the option (config.idjag-issuance)', () => {
  it('a valid policy resolves; ttl_s defaults to 300 and is capped at 300', () => {
    const s = resolve(policy([target]));
    assert.equal(s.config.enterprise.idjag_issuance.ttl_s, 300);
    assert.throws(() => configSchema.parse({ enterprise: { idjag_issuance: { ttl_s: 301 } } }));
  });

  it('a public client with the token-exchange grant (ID-JAG §8.1)', () => {
    assert.equal(optionOf({ clients: [{ client_id: 'pub', redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code', TOKEN_EXCHANGE_GRANT] }] }), 'clients[0].grant_types');
  });

  it('a target client that is not a static client, or does not list the grant', () => {
    assert.equal(optionOf(policy([{ ...target, clients: [{ client_id: 'nobody' }] }])), 'enterprise.idjag_issuance.targets[0].clients[0].client_id');
    assert.equal(optionOf({ clients: [{ ...app, grant_types: ['authorization_code'] }], ...policy([target]) }), 'clients[0].grant_types');
  });

  it('an audience that is this server itself (ID-JAG §8.3), or not https', () => {
    assert.equal(optionOf(policy([{ ...target, audience: `${ISSUER}/` }])), 'enterprise.idjag_issuance.targets[0].audience');
    assert.equal(optionOf(policy([{ ...target, audience: 'http://as.chat.example' }])), 'enterprise.idjag_issuance.targets[0].audience');
    assert.equal(optionOf(policy([{ ...target, resources: ['https://mcp.chat.example/mcp#x'] }])), 'enterprise.idjag_issuance.targets[0].resources[0]');
  });

  it('two entries giving one client two identities at the same audience', () => {
    const twice = [
      { ...target, clients: [{ client_id: 'app', client_id_at_target: 'one' }] },
      { ...target, clients: [{ client_id: 'app', client_id_at_target: 'two' }] },
    ];
    assert.equal(optionOf(policy(twice)), 'enterprise.idjag_issuance.targets[1].clients[0].client_id_at_target');
  });

  it('an instance that only issues ID-JAGs starts without MCP resources; without a policy it still refuses to', async () => {
    const data_dir = mkdtempSync(join(tmpdir(), 'pc-idjag-'));
    try {
      const base = { issuer: 'http://127.0.0.1:0', dev: true, port: 0, data_dir, clients: [app] };
      const rt = await startRuntime(configSchema.parse({ ...base, ...policy([{ ...target, audience: 'http://127.0.0.1:1', resources: ['http://127.0.0.1:1/mcp'] }]) }), { env: { PORTCULLIS_SECRET: 'x'.repeat(32) }, log: silentLogger() });
      await rt.close();
      await assert.rejects(startRuntime(configSchema.parse(base), { env: { PORTCULLIS_SECRET: 'x'.repeat(32) }, log: silentLogger() }), (e) => e instanceof ConfigError && e.option === 'resources');
    } finally {
      rmSync(data_dir, { recursive: true, force: true });
    }
  });
});
