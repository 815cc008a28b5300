/**
 * Issue 11 item 3: examples/enterprise/portcullis.yaml (company IdP sign-in + ID-JAG) is valid against the real
 * schema and start-up checks, and starts. Nothing here reaches the IdP (its discovery is fetched at first
 * sign-in); the ID-JAG grant itself is proven by test/as/idjag/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { resolveUpstreamIdps } from '../../src/as/federation/settings.js';
import { startRuntime } from '../../src/server/runtime.js';
import { REPO_ROOT } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'enterprise', 'portcullis.yaml');
const ENV = { OKTA_CLIENT_SECRET: 'okta-secret', WIKI_RS_SECRET: 'wiki-secret' };

describe('examples/enterprise: upstream IdP sign-in and ID-JAG (examples.enterprise)', () => {
  test('loads with the real loader and passes every start-up check; secrets only from the environment', () => {
    const { config } = loadConfig({ file: EXAMPLE, env: {} });
    const settings = resolveSettings(config);
    assert.equal(settings.issuer, 'https://mcp.corp.example');
    assert.deepEqual(settings.resources.map((r) => [r.id, r.external === true]), [
      ['https://mcp.corp.example/crm/mcp', false],
      ['https://wiki-mcp.corp.example/mcp', true],
    ]);
    assert.equal(config.login.password, false);
    assert.equal(config.enterprise.trusted_issuers[0]!.issuer, config.login.upstream_idps[0]!.issuer, 'ID-JAGs come from the sign-in IdP');
    const [okta] = resolveUpstreamIdps(config.login.upstream_idps, { issuer: settings.issuer, dev: false, env: ENV });
    assert.equal(okta!.redirectUri, 'https://mcp.corp.example/login/callback/okta');
    assert.throws(() => resolveUpstreamIdps(config.login.upstream_idps, { issuer: settings.issuer, dev: false, env: {} }), (e: unknown) => e instanceof ConfigError && e.option.startsWith('login.upstream_idps[0]'));
  });

  test('starts, and its metadata offers the jwt-bearer (ID-JAG) grant and both resources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-example-ent-'));
    const port = await freePort();
    const { config } = loadConfig({ file: EXAMPLE, env: {}, flags: { port, data_dir: dir } });
    // static client secrets are read from the process environment, as `portcullis serve` reads them
    Object.assign(process.env, ENV);
    const runtime = await startRuntime(config, { env: { ...process.env, ...ENV }, log: silentLogger(), audit: { checkpointFile: null } });
    try {
      const res = await fetch(`${runtime.listenUrl}/.well-known/oauth-authorization-server`);
      const meta = (await res.json()) as { issuer: string; grant_types_supported: string[]; protected_resources: string[] };
      assert.equal(meta.issuer, 'https://mcp.corp.example');
      assert.ok(meta.grant_types_supported.includes('urn:ietf:params:oauth:grant-type:jwt-bearer'), JSON.stringify(meta.grant_types_supported));
      assert.deepEqual(meta.protected_resources, ['https://mcp.corp.example/crm/mcp', 'https://wiki-mcp.corp.example/mcp']);
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
      for (const k of Object.keys(ENV)) delete process.env[k];
    }
  });
});
