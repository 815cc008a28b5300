import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJwksFetcher } from '../../../src/as/clients/jwks.js';
import type { OAuthClient } from '../../../src/as/clients/types.js';
import { configSchema } from '../../../src/config/schema.js';
import type { SafeFetchOptions } from '../../../src/net/types.js';

const config = configSchema.parse({});
const KEYS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'k1' }] };
const client = (o: Partial<OAuthClient>): OAuthClient => ({
  client_id: 'https://client.example/c.json', kind: 'cimd', client_name: 'C', client_uri: null, logo_uri: null,
  redirect_uris: ['https://client.example/cb'], token_endpoint_auth_method: 'private_key_jwt', grant_types: ['authorization_code'],
  jwks: null, jwks_uri: 'https://client.example/jwks.json', client_secret_hash: null, allowed_scopes: null, version: 'v', loopback_only: false, ...o,
});

function strict(body: unknown, status = 200, headers: Record<string, string> = {}) {
  const calls: Array<{ url: string; opts: SafeFetchOptions }> = [];
  return {
    calls,
    fn: async (url: string, opts: SafeFetchOptions) => {
      calls.push({ url, opts });
      return { status, headers: new Headers(headers), body: new TextEncoder().encode(JSON.stringify(body)), address: '93.184.215.14' };
    },
  };
}

describe('RFC 7523 §2.2 / CIMD §6.2, §6.5: a client\'s jwks_uri (as.clients.jwks)', () => {
  it('inline jwks are used as they are', async () => {
    const f = strict(KEYS);
    assert.deepEqual(await createJwksFetcher(config, { dev: false, fetch: f.fn })(client({ jwks: KEYS, jwks_uri: null })), KEYS);
    assert.equal(f.calls.length, 0);
  });
  it('a CIMD client\'s jwks_uri goes through the safe fetch (loopback only in --dev) and is cached briefly', async () => {
    let now = 0;
    const f = strict(KEYS, 200, { 'cache-control': 'max-age=120' });
    const fetchJwks = createJwksFetcher(config, { dev: true, fetch: f.fn, clock: () => now });
    assert.deepEqual(await fetchJwks(client({})), KEYS);
    assert.equal(f.calls[0]!.opts.allowLoopback, true);
    now += 119_000;
    await fetchJwks(client({}));
    assert.equal(f.calls.length, 1);
    now += 2_000;
    await fetchJwks(client({}));
    assert.equal(f.calls.length, 2);
  });
  it('refuses non-200 answers, non-JWK-sets and private key material, and logs each fetch', async () => {
    const events: string[] = [];
    const log = (e: { outcome: string }) => events.push(e.outcome);
    await assert.rejects(createJwksFetcher(config, { dev: false, log, fetch: strict(KEYS, 404).fn })(client({})), /HTTP 404/);
    await assert.rejects(createJwksFetcher(config, { dev: false, log, fetch: strict({ nope: 1 }).fn })(client({})), /not return a JWK set/);
    await assert.rejects(createJwksFetcher(config, { dev: false, log, fetch: strict({ keys: [{ kty: 'EC', d: 'x' }] }).fn })(client({})), /private key material/);
    assert.deepEqual(events, ['http_status', 'document_invalid', 'document_invalid']);
  });
  it('a static client\'s jwks_uri is trusted as configured (plain fetch)', async () => {
    const urls: string[] = [];
    const trustedFetch = (async (url: string | URL | Request) => { urls.push(String(url)); return new Response(JSON.stringify(KEYS), { status: 200 }); }) as typeof fetch;
    const f = strict(KEYS);
    const got = await createJwksFetcher(config, { dev: false, fetch: f.fn, trustedFetch })(client({ kind: 'static', client_id: 'svc', jwks_uri: 'http://10.0.0.5/jwks' }));
    assert.deepEqual(got, KEYS);
    assert.deepEqual(urls, ['http://10.0.0.5/jwks']);
    assert.equal(f.calls.length, 0);
  });
});
