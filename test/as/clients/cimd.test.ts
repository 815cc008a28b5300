import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cacheSeconds, validateCimdDocument, validateCimdUrl } from '../../../src/as/clients/cimd.js';
import { ClientResolutionError } from '../../../src/as/clients/types.js';

const FIXTURES = new URL('../../../../shared/fixtures/cimd/', import.meta.url);
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

const URL_ = 'https://client.example/oauth/client.json';
const SUPPORTED = ['authorization_code', 'refresh_token'];
const doc = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  client_id: URL_, client_name: 'Example', redirect_uris: ['https://client.example/cb'], ...o,
});
const validate = (json: unknown, dev = false) => validateCimdDocument(URL_, json, { supportedGrantTypes: SUPPORTED, dev });

function failure(fn: () => unknown): { reason: string; detail: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ClientResolutionError, String(e));
    return { reason: e.failure.reason, detail: 'detail' in e.failure ? e.failure.detail : '' };
  }
  return assert.fail('expected a ClientResolutionError');
}

describe('CIMD §3 client_id URL grammar (cimd.url-grammar)', () => {
  const accepted = [
    'https://client.example/client.json',
    'https://client.example:8443/oauth/metadata',
    'https://claude.ai/oauth/mcp-oauth-client-metadata',
    'https://client.example/a/b/',
    'https://client.example/a.b/..c/c..',
  ];
  for (const u of accepted) it(`accepts ${u}`, () => assert.equal(validateCimdUrl(u, { dev: false }).href, u));

  const refused: Array<[string, RegExp]> = [
    ['http://client.example/client.json', /scheme must be https/],
    ['HTTPS://client.example/client.json', /scheme must be https/],
    ['ftp://client.example/client.json', /scheme must be https/],
    ['https://client.example', /no path/],
    ['https://client.example/', /no path/],
    ['https://client.example/a/./b', /dot segment/],
    ['https://client.example/a/../b', /dot segment/],
    ['https://client.example/a/..', /dot segment/],
    ['https://client.example/%2e%2E/b', /dot segment/],
    ['https://client.example/a/.%2e/b', /dot segment/],
    ['https://client.example/client.json#frag', /fragment/],
    ['https://client.example/client.json#', /fragment/],
    ['https://user@client.example/client.json', /userinfo/],
    ['https://user:pw@client.example/client.json', /userinfo/],
    ['https://@client.example/client.json', /userinfo/],
    ['https://client.example/client.json?v=1', /query/],
    ['https://client.example/client.json?', /query/],
    ['https://client.example\\client.json', /backslash/],
    ['https://client.example/client json', /whitespace/],
    [' https://client.example/client.json', /whitespace/],
    ['https://client.example/clïent.json', /non-ASCII/],
    ['https://localhost/client.json', /loopback host/],
    ['https://127.0.0.1/client.json', /loopback host/],
    ['https://127.1.2.3:8443/client.json', /loopback host/],
    ['https://[::1]/client.json', /loopback host/],
    ['https://[::ffff:127.0.0.1]/client.json', /loopback host/],
    ['https://app.localhost/client.json', /loopback host/],
    ['https://exa mple/x', /whitespace/],
    ['https://[zz]/x', /not a valid URL/],
    [`https://client.example/${'a'.repeat(2100)}`, /longer than/],
  ];
  for (const [u, detail] of refused) {
    it(`refuses ${u.slice(0, 60)}`, () => {
      const f = failure(() => validateCimdUrl(u, { dev: false }));
      assert.equal(f.reason, 'cimd_url_invalid');
      assert.match(f.detail, detail);
    });
  }
  it('allows loopback hosts only with --dev (ARCHITECTURE "Dev and demo")', () => {
    for (const u of ['https://localhost:8443/client.json', 'https://127.0.0.1:9/c', 'https://[::1]:9/c']) {
      assert.equal(validateCimdUrl(u, { dev: true }).href, u);
    }
  });
});

describe('CIMD §4.1 client_id MUST equal the document URL exactly (cimd.client-id-exact)', () => {
  for (const other of [URL_.toUpperCase(), `${URL_}/`, 'https://client.example/oauth/../oauth/client.json', 'https://CLIENT.example/oauth/client.json', 'https://client.example:443/oauth/client.json']) {
    it(`refuses client_id ${other}`, () => {
      const f = failure(() => validate(doc({ client_id: other })));
      assert.deepEqual(f, { reason: 'cimd_document_invalid', detail: 'client_id does not equal the document URL' });
    });
  }
});

describe('CIMD §4.1, [REG], RFC 7591 §2: document validation (cimd.document-valid)', () => {
  const refused: Array<[string, unknown, RegExp]> = [
    ['an array', [doc()], /not a JSON object/],
    ['a string', 'hello', /not a JSON object/],
    ['null', null, /not a JSON object/],
    ['no client_id', { ...doc(), client_id: undefined }, /client_id is missing/],
    ['no client_name ([REG] MUST)', doc({ client_name: undefined }), /client_name is required/],
    ['blank client_name', doc({ client_name: '  ' }), /client_name is required/],
    ['numeric client_name', doc({ client_name: 42 }), /client_name must be a string/],
    ['over-long client_name', doc({ client_name: 'x'.repeat(201) }), /client_name is longer than 200/],
    ['no redirect_uris', doc({ redirect_uris: undefined }), /redirect_uris must be a non-empty array/],
    ['empty redirect_uris', doc({ redirect_uris: [] }), /redirect_uris must be a non-empty array/],
    ['string redirect_uris', doc({ redirect_uris: 'https://client.example/cb' }), /redirect_uris must be an array of strings/],
    ['non-string redirect_uri', doc({ redirect_uris: [42] }), /redirect_uris must be an array of strings/],
    ['relative redirect_uri', doc({ redirect_uris: ['/cb'] }), /redirect_uris\[0\] is not an absolute URL/],
    ['redirect_uri with fragment', doc({ redirect_uris: ['https://client.example/cb', 'https://client.example/cb#x'] }), /redirect_uris\[1\] has a fragment/],
    ['http non-loopback redirect_uri', doc({ redirect_uris: ['http://client.example/cb'] }), /redirect_uris\[0\] must be https/],
    ['http 127.0.0.2 redirect_uri', doc({ redirect_uris: ['http://127.0.0.2/cb'] }), /redirect_uris\[0\] must be https/],
    ['custom-scheme redirect_uri', doc({ redirect_uris: ['com.example.app:/cb'] }), /redirect_uris\[0\] must be https/],
    ['javascript: redirect_uri', doc({ redirect_uris: ['javascript:alert(1)'] }), /redirect_uris\[0\] must be https/],
    ['redirect_uri with userinfo', doc({ redirect_uris: ['https://a:b@client.example/cb'] }), /redirect_uris\[0\] has userinfo/],
    ['too many redirect_uris', doc({ redirect_uris: Array.from({ length: 33 }, (_, i) => `https://client.example/${i}`) }), /more than 32/],
    ['client_secret_basic', doc({ token_endpoint_auth_method: 'client_secret_basic' }), /client_secret_basic is a shared-secret method/],
    ['client_secret_post', doc({ token_endpoint_auth_method: 'client_secret_post' }), /client_secret_post is a shared-secret method/],
    ['client_secret_jwt', doc({ token_endpoint_auth_method: 'client_secret_jwt' }), /client_secret_jwt is a shared-secret method/],
    ['tls_client_auth', doc({ token_endpoint_auth_method: 'tls_client_auth' }), /tls_client_auth is not supported/],
    ['numeric auth method', doc({ token_endpoint_auth_method: 1 }), /token_endpoint_auth_method must be a string/],
    ['client_secret present', doc({ client_secret: 's3cret' }), /client_secret must not be present/],
    ['client_secret_expires_at present', doc({ client_secret_expires_at: 0 }), /client_secret_expires_at must not be present/],
    ['private_key_jwt without keys', doc({ token_endpoint_auth_method: 'private_key_jwt' }), /requires jwks or jwks_uri/],
    ['jwks and jwks_uri', doc({ jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://client.example/jwks' }), /must not both be present/],
    ['jwks without keys', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: {} }), /jwks must be an object with a non-empty keys array/],
    ['jwks key without kty', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ x: '1' }] } }), /jwks.keys\[0\] must be a JWK object with kty/],
    ['jwks private EC key', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }), /private member "d"/],
    ['jwks symmetric key', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), /private member "k"/],
    ['http jwks_uri', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://client.example/jwks' }), /jwks_uri must be an https URL/],
    ['loopback jwks_uri', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://127.0.0.1/jwks' }), /jwks_uri on a loopback host/],
    ['non-string jwks_uri', doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: {} }), /jwks_uri must be a string URL/],
    ['grant_types not an array', doc({ grant_types: 'authorization_code' }), /grant_types must be an array of strings/],
    ['response_types without code', doc({ response_types: ['token'] }), /response_types must include "code"/],
    ['response_types not an array', doc({ response_types: 'code' }), /response_types must be an array of strings/],
    ['non-https client_uri', doc({ client_uri: 'javascript:alert(1)' }), /client_uri must be an https URL/],
    ['relative logo_uri', doc({ logo_uri: 'logo.png' }), /logo_uri is not an absolute URL/],
    ['http logo_uri', doc({ logo_uri: 'http://client.example/logo.png' }), /logo_uri must be an https URL/],
    ['numeric client_uri', doc({ client_uri: 7 }), /client_uri must be a string/],
    ['over-long logo_uri', doc({ logo_uri: `https://client.example/${'l'.repeat(2048)}` }), /logo_uri is longer than 2048/],
    ['bad scope', doc({ scope: 'a  b' }), /scope is not a space-separated list/],
    ['non-string scope', doc({ scope: ['a'] }), /scope must be a string/],
  ];
  for (const [name, json, detail] of refused) {
    it(`refuses ${name}`, () => {
      const f = failure(() => validate(json));
      assert.equal(f.reason, 'cimd_document_invalid');
      assert.match(f.detail, detail);
    });
  }

  it('defaults: auth method none, grant_types [authorization_code]; public client', () => {
    const c = validate(doc());
    assert.equal(c.kind, 'cimd');
    assert.equal(c.token_endpoint_auth_method, 'none');
    assert.deepEqual(c.grant_types, ['authorization_code']);
    assert.equal(c.client_secret_hash, null);
    assert.equal(c.allowed_scopes, null);
    assert.equal(c.loopback_only, false);
    assert.match(c.version, /^[A-Za-z0-9_-]{43}$/);
  });
  it('accepts loopback http redirect URIs (127.0.0.1, [::1], localhost, any port) and flags loopback_only', () => {
    const c = validate(doc({ redirect_uris: ['http://127.0.0.1/cb', 'http://[::1]:3000/cb', 'http://localhost/callback'] }));
    assert.equal(c.loopback_only, true);
  });
  it('ignores unknown and unsupported grant types instead of refusing the client (fixtures README)', () => {
    const c = validate(doc({ grant_types: ['urn:example:unknown', 'refresh_token', 'client_credentials', 'authorization_code'] }));
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
  });
  it('accepts private_key_jwt with inline public jwks; allows jwks_uri on loopback in --dev', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: '1' }] };
    assert.deepEqual(validate(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks })).jwks, jwks);
    const dev = validate(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://localhost:8443/jwks' }), true);
    assert.equal(dev.jwks_uri, 'https://localhost:8443/jwks');
  });
  it('honours a declared scope as the most the client may hold (RFC 7591 §2)', () => {
    assert.deepEqual(validate(doc({ scope: 'notes:read offline_access' })).allowed_scopes, ['notes:read', 'offline_access']);
  });
  it('version changes with security-relevant fields only (CIMD §6.3)', () => {
    const v = validate(doc()).version;
    assert.equal(validate(doc({ client_uri: 'https://client.example/about', application_type: 'web' })).version, v);
    for (const change of [{ redirect_uris: ['https://client.example/cb2'] }, { client_name: 'Other' }, { logo_uri: 'https://client.example/l.png' }, { scope: 'a' }, { grant_types: ['authorization_code', 'refresh_token'] }]) {
      assert.notEqual(validate(doc(change)).version, v, JSON.stringify(change));
    }
    const a = validate(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', x: '1', y: '2' }] } })).version;
    const b = validate(doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ y: '2', x: '1', kty: 'EC' }] } })).version;
    assert.equal(a, b, 'canonical JSON: key order does not matter');
  });
});

describe('Real client documents are accepted as published, client_id rewritten (cimd.compat.fixtures)', () => {
  const AT = 'https://localhost:8443/client.json';
  const check = (name: string) => validateCimdDocument(AT, { ...fixture(name), client_id: AT }, { supportedGrantTypes: SUPPORTED, dev: true });
  for (const name of ['claude-ai.keycloak-50362.json', 'claude-ai.2026-09-21.json']) {
    it(`${name}: public client; jwt-bearer grant ignored`, () => {
      const c = check(name);
      assert.equal(c.client_name, 'Claude');
      assert.equal(c.token_endpoint_auth_method, 'none');
      assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
      assert.deepEqual(c.redirect_uris, ['https://claude.ai/api/mcp/auth_callback']);
      assert.equal(c.loopback_only, false);
    });
  }
  it('the two Claude versions differ only in client_uri, which is not security-relevant: same version', () => {
    assert.notEqual(check('claude-ai.keycloak-50362.json').client_uri, check('claude-ai.2026-09-21.json').client_uri);
    assert.equal(check('claude-ai.keycloak-50362.json').version, check('claude-ai.2026-09-21.json').version);
  });
  for (const name of ['vscode.json', 'vscode.before-logo_uri.json']) {
    it(`${name}: device_code grant ignored; fixed loopback port beside https; application_type tolerated`, () => {
      const c = check(name);
      assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
      assert.deepEqual(c.redirect_uris, ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect']);
      assert.equal(c.loopback_only, false);
    });
  }
  it('vscode: adding logo_uri changes the version', () => {
    assert.notEqual(check('vscode.json').version, check('vscode.before-logo_uri.json').version);
  });
  it('chatgpt.json: confidential private_key_jwt client with jwks_uri; AS-metadata fields tolerated', () => {
    const c = check('chatgpt.json');
    assert.equal(c.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(c.jwks_uri, 'https://chatgpt.com/oauth/jwks.json');
    assert.equal(c.jwks, null);
    assert.equal(c.logo_uri, 'https://persistent.oaistatic.com/sonic/misc/openai-logo.png');
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
  });
});

describe('CIMD §4.4 / RFC 9111 §5.2: cache lifetime from Cache-Control, bounded (cimd.cache.lifetime)', () => {
  const h = (cc?: string, age?: string) => new Headers({ ...(cc ? { 'cache-control': cc } : {}), ...(age ? { age } : {}) });
  const table: Array<[string | undefined, string | undefined, number]> = [
    [undefined, undefined, 60], ['max-age=3600', undefined, 3600], ['public, max-age=3600', '600', 3000],
    ['max-age=5', undefined, 60], ['max-age=0', undefined, 60], ['max-age=999999', undefined, 86400],
    ['no-store', undefined, 0], ['no-cache', undefined, 0], ['max-age=3600, no-cache', undefined, 0],
    ['MAX-AGE=120', undefined, 120], ['max-age="120"', undefined, 120], ['max-age=abc', undefined, 60],
  ];
  for (const [cc, age, expected] of table) {
    it(`${cc ?? '(none)'}${age ? ` age ${age}` : ''} → ${expected}s`, () => assert.equal(cacheSeconds(h(cc, age), 60, 86400), expected));
  }
});
