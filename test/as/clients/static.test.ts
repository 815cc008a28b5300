import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createClientResolver, CompositeClientResolver } from '../../../src/as/clients/index.js';
import { StaticClientResolver } from '../../../src/as/clients/static.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient } from '../../../src/as/clients/types.js';
import { configSchema, type StaticClientConfig } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/core/errors.js';
import { sha256 } from '../../../src/core/random.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-static-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const client = (o: Partial<StaticClientConfig> = {}): StaticClientConfig => ({
  client_id: 'cli', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], ...o,
});
const SUPPORTED = ['authorization_code', 'refresh_token'];

function configError(fn: () => unknown, option: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.option, option);
    assert.match(e.message, message);
    return true;
  });
}

async function unknown(r: ClientResolver, id: string): Promise<void> {
  await assert.rejects(r.resolve(id), (e: unknown) => e instanceof ClientResolutionError && e.failure.reason === 'unknown_client');
}

describe('[REG] "Pre-registration": static clients from the config (as.clients.static)', () => {
  it('resolves a public client with defaults; unknown ids → unknown_client', async () => {
    const r = new StaticClientResolver([client({ client_name: 'CLI', scopes: ['notes:read'] })], { supportedGrantTypes: SUPPORTED });
    const c = await r.resolve('cli');
    assert.deepEqual({ ...c, version: '' }, {
      client_id: 'cli', kind: 'static', client_name: 'CLI', client_uri: null, logo_uri: null, redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none', grant_types: SUPPORTED, jwks: null, jwks_uri: null, client_secret_hash: null,
      allowed_scopes: ['notes:read'], version: '', loopback_only: true,
    } satisfies OAuthClient);
    assert.match(c.version, /^[A-Za-z0-9_-]{43}$/);
    await unknown(r, 'other');
    await unknown(r, 'CLI');
  });
  it('reads a secret from client_secret_env and keeps only its SHA-256', async () => {
    const r = new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'MY_SECRET' })], { env: { MY_SECRET: 's3cret' } });
    const c = await r.resolve('cli');
    assert.equal(c.client_secret_hash, sha256('s3cret'));
    assert.ok(!JSON.stringify(c).includes('s3cret'));
  });
  it('reads a secret from client_secret_file (relative to cwd, one trailing newline dropped)', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'file-secret\n');
    const r = new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_post', client_secret_file: 'secret.txt' })], { cwd: dir });
    assert.equal((await r.resolve('cli')).client_secret_hash, sha256('file-secret'));
  });
  it('a changed redirect URI or name changes the version', async () => {
    const v = async (o: Partial<StaticClientConfig>) => (await new StaticClientResolver([client(o)]).resolve('cli')).version;
    assert.equal(await v({}), await v({}));
    assert.notEqual(await v({}), await v({ redirect_uris: ['https://app.example/cb'] }));
    assert.notEqual(await v({}), await v({ client_name: 'x' }));
  });
});

describe('Static client misconfiguration fails at start-up naming the option (ARCHITECTURE "Two error channels")', () => {
  it('CIMD §6.9: a static client_id must not start with https://', () => {
    configError(() => new StaticClientResolver([client({ client_id: 'https://app.example/client.json' })]), 'clients[0].client_id', /CIMD §6\.9/);
    configError(() => new StaticClientResolver([client(), client({ client_id: 'HTTPS://app.example/c' })]), 'clients[1].client_id', /https:\/\//);
  });
  it('duplicate client_id', () => {
    configError(() => new StaticClientResolver([client(), client()]), 'clients[1].client_id', /duplicate/);
  });
  it('client_secret_* methods need exactly one secret source, and it must hold a secret', () => {
    configError(() => new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_basic' })]), 'clients[0].client_secret_env', /exactly one/);
    configError(
      () => new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'A', client_secret_file: 'b' })], { env: { A: 'x' } }),
      'clients[0].client_secret_env', /exactly one/,
    );
    configError(() => new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'UNSET_VAR' })], { env: {} }), 'clients[0].client_secret_env', /UNSET_VAR is not set/);
    configError(() => new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_post', client_secret_file: 'missing.txt' })], { cwd: dir }), 'clients[0].client_secret_file', /cannot read .*ENOENT/);
    writeFileSync(join(dir, 'empty.txt'), '\n');
    configError(() => new StaticClientResolver([client({ token_endpoint_auth_method: 'client_secret_post', client_secret_file: 'empty.txt' })], { cwd: dir }), 'clients[0].client_secret_file', /is empty/);
  });
  it('a secret source on a client that does not use a secret', () => {
    configError(() => new StaticClientResolver([client({ client_secret_env: 'X' })], { env: { X: 'y' } }), 'clients[0].client_secret_env', /only used with client_secret_basic/);
  });
  it('RFC 7523 / RFC 7591 §2: private_key_jwt needs jwks or jwks_uri, not both, public keys only', () => {
    const pkj = { token_endpoint_auth_method: 'private_key_jwt' as const };
    configError(() => new StaticClientResolver([client(pkj)]), 'clients[0].jwks', /needs jwks or jwks_uri/);
    configError(() => new StaticClientResolver([client({ ...pkj, jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://app.example/jwks' })]), 'clients[0].jwks', /not both/);
    configError(() => new StaticClientResolver([client({ ...pkj, jwks: { keys: [{ kty: 'EC', d: 'x' }] } })]), 'clients[0].jwks.keys[0]', /private member "d"/);
    assert.ok(new StaticClientResolver([client({ ...pkj, jwks_uri: 'https://app.example/jwks' })]));
  });
  it('[SEC] "Communication Security": redirect URIs are https or loopback http', () => {
    configError(() => new StaticClientResolver([client({ redirect_uris: ['https://app.example/cb', 'http://app.example/cb'] })]), 'clients[0].redirect_uris[1]', /https/);
    configError(() => new StaticClientResolver([client({ redirect_uris: ['https://app.example/cb#x'] })]), 'clients[0].redirect_uris[0]', /fragment/);
  });
  it('a grant type the AS does not implement', () => {
    configError(() => new StaticClientResolver([client({ grant_types: ['authorization_code', 'implicit'] })], { supportedGrantTypes: SUPPORTED }), 'clients[0].grant_types', /implicit/);
  });
});

describe('Composite resolver: https:// client_ids are CIMD URLs (CIMD §3.3 step 1) (as.clients.composite)', () => {
  const cimdCalls: string[] = [];
  const fakeCimd: ClientResolver = { resolve: async (id) => { cimdCalls.push(id); throw new ClientResolutionError({ reason: 'cimd_fetch_failed', detail: 'offline' }); } };
  it('routes https:// ids to CIMD and everything else to the static clients', async () => {
    const r = new CompositeClientResolver(new StaticClientResolver([client()]), fakeCimd);
    assert.equal((await r.resolve('cli')).kind, 'static');
    await assert.rejects(r.resolve('https://app.example/c.json'), /cimd_fetch_failed/);
    assert.deepEqual(cimdCalls, ['https://app.example/c.json']);
    await unknown(r, 'nope');
  });
  it('with CIMD disabled, an https:// id is an unknown client', async () => {
    const config = configSchema.parse({ cimd: { enabled: false }, clients: [client()] });
    const r = createClientResolver(config, { dev: false });
    await unknown(r, 'https://app.example/c.json');
    assert.equal((await r.resolve('cli')).client_id, 'cli');
  });
  it('CIMD is on by default, with the documented caps, even when the config has no cimd section', async () => {
    const seen: Array<[number, number]> = [];
    const r = createClientResolver(configSchema.parse({}), {
      dev: false,
      fetch: async (_u, o) => { seen.push([o.maxBytes, o.timeoutMs]); return { status: 404, headers: new Headers(), body: new Uint8Array(), address: '93.184.215.14' }; },
    });
    await assert.rejects(r.resolve('https://app.example/c.json'), /cimd_fetch_failed/);
    assert.deepEqual(seen, [[5120, 5000]]);
  });
  it('createClientResolver builds the CIMD resolver from config.cimd and fetches through the injected fetch', async () => {
    const config = configSchema.parse({ cimd: { max_bytes: 1024 } });
    const seen: number[] = [];
    const r = createClientResolver(config, {
      dev: false,
      fetch: async (_u, o) => { seen.push(o.maxBytes); return { status: 404, headers: new Headers(), body: new Uint8Array(), address: '93.184.215.14' }; },
    });
    await assert.rejects(r.resolve('https://app.example/c.json'), /cimd_fetch_failed: HTTP 404/);
    assert.deepEqual(seen, [1024]);
    configError(() => createClientResolver(configSchema.parse({ clients: [client({ client_id: 'https://x.example/c' })] }), { dev: false }), 'clients[0].client_id', /https/);
  });
});
