/**
 * Issue 4 item 1: `enterprise.trusted_issuers` — misconfiguration fails at start naming the option, and the RFC 8414
 * metadata advertises the ID-JAG profile and the jwt-bearer grant only when an IdP is trusted, never the issuers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { authorizationServerMetadata } from '../../src/as/endpoints/metadata/index.js';
import { IDJAG_GRANT_PROFILE, JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';
import { ISSUER, startHarness } from '../helpers/as-harness.js';

const KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
const IDP = 'https://idp.example.com';
const APP = { client_id: 'app', grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'private_key_jwt' as const, jwks: { keys: [KEY] } };

const resolve = (over: Partial<ConfigInput>) =>
  resolveSettings(configSchema.parse({ issuer: ISSUER, dev: true, resources: [{ path: '/mcp', scopes: ['notes:read'] }], clients: [APP], ...over }));
const issuers = (...list: Record<string, unknown>[]): Partial<ConfigInput> => ({ enterprise: { trusted_issuers: list as never } });
const trusted = (over: Record<string, unknown> = {}) => ({ issuer: IDP, jwks: { keys: [KEY] }, clients: ['app'], ...over });

function failsAt(over: Partial<ConfigInput>, option: string | RegExp): void {
  assert.throws(() => resolve(over), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
    if (typeof option === 'string') assert.equal(e.option, option);
    else assert.match(e.option, option);
    return true;
  });
}

describe('enterprise.trusted_issuers: misconfiguration fails at start naming the option (as.idjag.config)', () => {
  it('a valid entry resolves', () => {
    assert.equal(resolve(issuers(trusted())).config.enterprise.trusted_issuers.length, 1);
  });

  it('this server as a trusted issuer, with or without a trailing slash (as.idjag.own-issuer)', () => {
    failsAt(issuers(trusted({ issuer: ISSUER })), 'enterprise.trusted_issuers[0].issuer');
    failsAt(issuers(trusted({ issuer: `${ISSUER}/` })), 'enterprise.trusted_issuers[0].issuer');
  });

  it('keys: exactly one of jwks_uri and jwks; https only (http on loopback with --dev); no private members', () => {
    failsAt(issuers(trusted({ jwks_uri: `${IDP}/jwks` })), 'enterprise.trusted_issuers[0].jwks_uri');
    failsAt(issuers(trusted({ jwks: undefined })), 'enterprise.trusted_issuers[0].jwks_uri');
    failsAt(issuers(trusted({ jwks: undefined, jwks_uri: 'http://idp.example.com/jwks' })), 'enterprise.trusted_issuers[0].jwks_uri');
    failsAt({ dev: false, issuer: 'https://as.example.com', ...issuers(trusted({ jwks: undefined, jwks_uri: 'http://127.0.0.1:1/jwks' })) }, 'enterprise.trusted_issuers[0].jwks_uri');
    failsAt(issuers(trusted({ jwks: { keys: [{ ...KEY, d: 'secret' }] } })), 'enterprise.trusted_issuers[0].jwks.keys[0]');
    failsAt(issuers(trusted({ issuer: 'http://idp.example.com' })), 'enterprise.trusted_issuers[0].issuer');
  });

  it('issuers are unique; clients must exist and list the jwt-bearer grant; roles must exist', () => {
    failsAt(issuers(trusted(), trusted()), 'enterprise.trusted_issuers[1].issuer');
    failsAt(issuers(trusted({ clients: ['nobody'] })), 'enterprise.trusted_issuers[0].clients[0]');
    failsAt({ ...issuers(trusted()), clients: [{ ...APP, grant_types: ['client_credentials'] }] }, 'enterprise.trusted_issuers[0].clients[0]');
    failsAt({ ...issuers(trusted({ clients: ['https://app.example/client.json'] })), cimd: { enabled: false } }, 'enterprise.trusted_issuers[0].clients[0]');
    failsAt({ ...issuers(trusted({ provision: true, default_roles: ['ghost'] })), roles: { reader: ['notes:read'] } }, 'enterprise.trusted_issuers[0].default_roles[0]');
    failsAt(issuers(trusted({ default_roles: ['reader'] })), 'enterprise.trusted_issuers[0].default_roles');
    // a static client listing the grant with no trusted issuer at all
    failsAt({}, 'clients[0].grant_types');
    // a CIMD client_id is fine while CIMD is on
    assert.ok(resolve(issuers(trusted({ clients: ['app', 'https://app.example/client.json'] }))));
  });

  it('match: email needs email_domains, lower-case domain names, and only with match: email (as.idjag.email-domains)', () => {
    failsAt(issuers(trusted({ match: 'email' })), 'enterprise.trusted_issuers[0].email_domains');
    failsAt(issuers(trusted({ match: 'email', email_domains: ['Example.com'] })), 'enterprise.trusted_issuers[0].email_domains[0]');
    failsAt(issuers(trusted({ match: 'email', email_domains: ['example.com', '@example.org'] })), 'enterprise.trusted_issuers[0].email_domains[1]');
    failsAt(issuers(trusted({ match: 'email', email_domains: ['localhost'] })), 'enterprise.trusted_issuers[0].email_domains[0]');
    failsAt(issuers(trusted({ email_domains: ['example.com'] })), 'enterprise.trusted_issuers[0].email_domains');
    assert.ok(resolve(issuers(trusted({ match: 'email', email_domains: ['example.com', 'corp.example.org'] }))));
  });

  it('the schema refuses alg none, HS256 and unknown keys (as.idjag.alg)', () => {
    for (const algorithms of [['none'], ['HS256'], []]) {
      assert.throws(() => configSchema.parse({ enterprise: { trusted_issuers: [trusted({ algorithms })] } }));
    }
    assert.throws(() => configSchema.parse({ enterprise: { trusted_issuers: [trusted({ colour: 'blue' })] } }));
  });
});

describe('RFC 8414 metadata for the ID-JAG profile ([IDJAG] §7.2, §8.4; [EMA] §6) (as.idjag.metadata)', () => {
  it('advertised only with trusted issuers; the issuer list is never revealed (as.idjag.metadata)', () => {
    const on = authorizationServerMetadata(resolve(issuers(trusted())));
    assert.deepEqual(on.authorization_grant_profiles_supported, [IDJAG_GRANT_PROFILE]);
    assert.ok((on.grant_types_supported as string[]).includes(JWT_BEARER_GRANT_TYPE));
    assert.ok(!JSON.stringify(on).includes('idp.example.com'), 'no trusted issuer in the metadata');
    const off = authorizationServerMetadata(resolve({ clients: [] }));
    assert.equal(off.authorization_grant_profiles_supported, undefined);
    assert.ok(!(off.grant_types_supported as string[]).includes(JWT_BEARER_GRANT_TYPE));
  });

  it('without trusted issuers the grant is unsupported at /token (as.idjag.metadata)', async () => {
    process.env.TEST_CONFIDENTIAL_SECRET = 'x';
    const h = await startHarness();
    try {
      const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: 'a.b.c', client_id: 'test-public' }) });
      const body = (await res.json()) as { error: string };
      assert.equal(body.error, 'unauthorized_client');
    } finally {
      await h.close();
    }
  });
});
