import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'pc-config-'));

describe('ARCHITECTURE "Configuration": flag > env > file > defaults (config.precedence)', () => {
  it('each layer overrides the one below', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'portcullis.yaml'), 'port: 7000\nhost: 127.0.0.2\ntokens:\n  access_token_ttl: 120\n');
    const { config, file } = loadConfig({ cwd, env: { PORTCULLIS_PORT: '7100', PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL: '300' }, flags: { port: '7200' } });
    assert.equal(file, join(cwd, 'portcullis.yaml'));
    assert.equal(config.port, 7200);
    assert.equal(config.host, '127.0.0.2');
    assert.equal(config.tokens.access_token_ttl, 300);
    assert.equal(config.tokens.refresh_grace, 10);
    assert.equal(config.data_dir, join(cwd, '.portcullis'), 'relative paths are relative to the working directory');
  });
  it('an unknown option fails naming it', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'c.yaml'), 'prot: 1\n');
    assert.throws(() => loadConfig({ cwd, file: 'c.yaml', env: {} }), (e: unknown) => e instanceof ConfigError && /prot|Unrecognized/.test(e.message));
  });
  it('access tokens shorter than 60 s are refused (ARCHITECTURE "Tokens")', () => {
    assert.throws(() => loadConfig({ cwd: dir(), env: { PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL: '30' } }), (e: unknown) => e instanceof ConfigError && e.option === 'tokens.access_token_ttl');
  });
  it('--upstream replaces the upstream of the one resource in the config file (the file `portcullis init` writes); with several it is refused as ambiguous', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'portcullis.yaml'), 'resources:\n  - path: /mcp\n    upstream: http://127.0.0.1:3000/mcp\n    scopes: [a]\n');
    const { config } = loadConfig({ cwd, env: {}, flags: { upstream: 'http://127.0.0.1:4000/mcp', dev: true } });
    const settings = resolveSettings(config);
    assert.equal(settings.resources.length, 1);
    assert.equal(settings.resources[0]!.upstream, 'http://127.0.0.1:4000/mcp');
    assert.deepEqual(settings.resources[0]!.scopes, ['a'], 'everything else of the file resource is kept');
    writeFileSync(join(cwd, 'two.yaml'), 'resources:\n  - path: /a\n    upstream: http://127.0.0.1:3000/mcp\n  - path: /b\n    upstream: http://127.0.0.1:3001/mcp\n');
    const two = loadConfig({ cwd, file: 'two.yaml', env: {}, flags: { upstream: 'http://127.0.0.1:4000/mcp', dev: true } }).config;
    assert.throws(() => resolveSettings(two), (e: unknown) => e instanceof ConfigError && e.option === 'upstream' && /ambiguous/.test(e.message));
  });
  it('a missing --config file fails naming --config', () => {
    assert.throws(() => loadConfig({ cwd: dir(), file: 'nope.yaml', env: {} }), (e: unknown) => e instanceof ConfigError && e.option === '--config');
  });
});

describe('ARCHITECTURE "Dev and demo": an http issuer needs --dev and a loopback host (config.dev-http-issuer)', () => {
  const base = (over: Record<string, unknown>) => loadConfig({ cwd: dir(), env: {}, flags: { upstream: 'http://127.0.0.1:3000/mcp', ...over } }).config;
  it('http issuer without --dev → error naming issuer', () => {
    assert.throws(() => resolveSettings(base({ issuer: 'http://127.0.0.1:8080' })), (e: unknown) => e instanceof ConfigError && e.option === 'issuer');
  });
  it('http issuer on a non-loopback host even with --dev → error', () => {
    assert.throws(() => resolveSettings(base({ issuer: 'http://10.0.0.5:8080', dev: true })), (e: unknown) => e instanceof ConfigError && e.option === 'issuer');
  });
  it('https issuer: resource URL and path-inserted PRM URL derived from it', () => {
    const s = resolveSettings(base({ issuer: 'https://gw.example.com/' }));
    assert.equal(s.issuer, 'https://gw.example.com');
    assert.equal(s.resources[0]!.id, 'https://gw.example.com/mcp');
    assert.equal(s.resources[0]!.metadataUrl, 'https://gw.example.com/.well-known/oauth-protected-resource/mcp');
    assert.equal(s.secureCookies, true);
  });
  it('offline_access in a resource scope list is refused (MCP "Refresh Tokens")', () => {
    assert.throws(() => resolveSettings(base({ issuer: 'https://x.example', resources: [{ path: '/mcp', scopes: ['offline_access'] }], upstream: undefined })), (e: unknown) => e instanceof ConfigError);
  });
});
