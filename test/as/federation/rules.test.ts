/**
 * Issue 4 item 3: the pure rules of upstream login — configuration checked at start-up (ConfigError naming the
 * option), Entra's issuer rules, claim mapping — without any server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { resolveSettings } from '../../../src/config/resolve.js';
import { ConfigError } from '../../../src/core/errors.js';
import { createFederation } from '../../../src/as/federation/index.js';
import { mapClaims } from '../../../src/as/federation/claims.js';
import { authorizationResponseIssuer, idTokenIssuer } from '../../../src/as/federation/issuer.js';
import { resolveUpstreamIdps, type UpstreamIdp } from '../../../src/as/federation/settings.js';

const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const TID = '9188040d-6c67-4c5b-b112-36a304b66dad';
const OTHER = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function build(idp: Record<string, unknown>, extra: Partial<ConfigInput> = {}, env: NodeJS.ProcessEnv = { S: 'secret' }) {
  const config = configSchema.parse({ issuer: 'https://auth.example.com', resources: [{ path: '/mcp' }], login: { upstream_idps: [{ id: 'idp', client_id: 'c', client_secret_env: 'S', ...idp }] }, ...extra });
  const settings = resolveSettings(config);
  return createFederation({ settings, clock: Date.now }, { env });
}

function expectOption(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.message.includes(option), `ConfigError naming ${option}`);
}

function idp(over: Record<string, unknown> = {}): UpstreamIdp {
  const config = configSchema.parse({ login: { upstream_idps: [{ id: 'entra', issuer: 'https://login.microsoftonline.com/organizations/v2.0', client_id: 'c', client_secret_env: 'S', allowed_tenants: [TID], ...over }] } });
  return resolveUpstreamIdps(config.login.upstream_idps, { issuer: 'https://auth.example.com', dev: false, env: { S: 'x' } })[0]!;
}

describe('upstream login configuration (as.federation.config)', () => {
  test('misconfiguration fails at start with a ConfigError naming the option (as.federation.config)', () => {
    expectOption(() => build({ issuer: 'http://idp.example.com' }), 'login.upstream_idps[0].issuer');
    expectOption(() => build({ issuer: 'http://127.0.0.1:9000' }), 'login.upstream_idps[0].issuer'); // loopback http needs --dev
    expectOption(() => build({ issuer: 'https://idp.example.com' }, {}, {}), 'login.upstream_idps[0].client_secret_env');
    expectOption(() => build({ issuer: 'https://idp.example.com', client_secret_env: undefined }), 'login.upstream_idps[0].client_secret_env');
    expectOption(() => build({ issuer: 'https://idp.example.com', scopes: ['email'] }), 'login.upstream_idps[0].scopes');
    expectOption(() => build({ issuer: 'https://login.microsoftonline.com/organizations/v2.0' }), 'login.upstream_idps[0].allowed_tenants');
    expectOption(() => build({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', allowed_tenants: ['*'] }), 'login.upstream_idps[0].issuer');
    expectOption(() => build({ issuer: 'https://idp.example.com', send_resource_parameter: true }), 'login.upstream_idps[0].resource');
    expectOption(() => build({ issuer: 'https://idp.example.com', token_endpoint_auth_method: 'private_key_jwt' }), 'login.upstream_idps[0].client_secret_env');
    expectOption(() => build({ issuer: 'https://idp.example.com', token_endpoint_auth_method: 'private_key_jwt', client_secret_env: undefined }), 'login.upstream_idps[0].private_key_file');
    assert.throws(() => build({ issuer: 'https://idp.example.com' }, { login: { upstream_idps: [{ id: 'a', issuer: 'https://a.example', client_id: 'c', client_secret_env: 'S' }, { id: 'a', issuer: 'https://b.example', client_id: 'c', client_secret_env: 'S' }] } }), /login\.upstream_idps\[1\]\.id/);
    assert.throws(() => configSchema.parse({ login: { upstream_idps: [{ id: 'a', issuer: 'https://a.example', client_id: 'c', client_secret: 'inline' }] } }), /client_secret/, 'no secret in the config file');
  });

  test('secrets come from env or a file, a private_key_jwt key from a PEM file; an http IdP only on loopback with --dev (as.federation.config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-fed-'));
    try {
      writeFileSync(join(dir, 'secret'), 'from-file\n');
      const fromFile = build({ issuer: 'https://idp.example.com', client_secret_env: undefined, client_secret_file: join(dir, 'secret') });
      assert.equal(fromFile.idps[0]!.clientSecret, 'from-file');
      writeFileSync(join(dir, 'key.pem'), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const pkjwt = build({ issuer: 'https://idp.example.com', client_secret_env: undefined, token_endpoint_auth_method: 'private_key_jwt', private_key_file: join(dir, 'key.pem') });
      assert.equal(pkjwt.idps[0]!.privateKey?.type, 'private');
      writeFileSync(join(dir, 'bad.pem'), 'not a key');
      expectOption(() => build({ issuer: 'https://idp.example.com', client_secret_env: undefined, token_endpoint_auth_method: 'private_key_jwt', private_key_file: join(dir, 'bad.pem') }), 'private_key_file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const dev = configSchema.parse({ issuer: 'http://127.0.0.1:8080', dev: true, resources: [{ path: '/mcp' }], login: { upstream_idps: [{ id: 'kc', issuer: 'http://127.0.0.1:9000/realms/x', client_id: 'c', client_secret_env: 'S' }] } });
    const f = createFederation({ settings: resolveSettings(dev), clock: Date.now }, { env: { S: 's' } });
    assert.equal(f.idps[0]!.insecure, true);
    assert.equal(f.idps[0]!.redirectUri, 'http://127.0.0.1:8080/login/callback/kc');
    assert.equal(f.idps[0]!.config.send_resource_parameter, false, 'no resource upstream by default');
    assert.deepEqual(f.idps[0]!.config.scopes, ['openid', 'email', 'profile']);
  });
});

describe('Entra issuer rules (as.federation.entra-tenant)', () => {
  test('the ID token iss must be the template with its own allowed tid; v1 issuers only when configured (as.federation.entra-tenant)', () => {
    const i = idp();
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: `https://login.microsoftonline.com/${TID}/v2.0`, tid: TID }), { ok: true, issuer: `https://login.microsoftonline.com/${TID}/v2.0`, tenant: TID });
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: `https://login.microsoftonline.com/${OTHER}/v2.0`, tid: OTHER }), { ok: false, reason: 'tenant_not_allowed' });
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: `https://login.microsoftonline.com/${OTHER}/v2.0`, tid: TID }), { ok: false, reason: 'iss_mismatch' }, 'iss of one tenant, tid of another');
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: `https://login.microsoftonline.com/${TID}/v2.0` }), { ok: false, reason: 'tenant_missing' });
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: TEMPLATE, tid: '{tenantid}' }), { ok: false, reason: 'tenant_missing' }, 'a tid that is not a tenant id');
    assert.deepEqual(idTokenIssuer(i, TEMPLATE, { iss: `https://sts.windows.net/${TID}/`, tid: TID }), { ok: false, reason: 'iss_mismatch' }, 'v1 refused by default');
    assert.equal(idTokenIssuer(idp({ accept_v1_issuer: true }), TEMPLATE, { iss: `https://sts.windows.net/${TID}/`, tid: TID }).ok, true);
    assert.equal(idTokenIssuer(idp({ allowed_tenants: ['*'] }), TEMPLATE, { iss: `https://login.microsoftonline.com/${OTHER}/v2.0`, tid: OTHER }).ok, true, '* allows any tenant');
    // an ordinary issuer: exact
    const g = idp({ issuer: 'https://accounts.google.com', allowed_tenants: [] });
    assert.equal(idTokenIssuer(g, 'https://accounts.google.com', { iss: 'https://accounts.google.com' }).ok, true);
    assert.equal(idTokenIssuer(g, 'https://accounts.google.com', { iss: 'https://accounts.google.com/' }).ok, false);
  });

  test('RFC 9207 iss of the authorization response: exact, or the template with an allowed tenant (as.federation.iss-rfc9207)', () => {
    const i = idp();
    assert.equal(authorizationResponseIssuer(i, TEMPLATE, `https://login.microsoftonline.com/${TID}/v2.0`, false).ok, true);
    assert.deepEqual(authorizationResponseIssuer(i, TEMPLATE, `https://login.microsoftonline.com/${OTHER}/v2.0`, false), { ok: false, reason: 'tenant_not_allowed' });
    assert.deepEqual(authorizationResponseIssuer(i, TEMPLATE, `https://login.microsoftonline.com/${TID}/x/v2.0`, false), { ok: false, reason: 'iss_mismatch' });
    assert.deepEqual(authorizationResponseIssuer(i, TEMPLATE, 'https://evil.example/v2.0', false), { ok: false, reason: 'iss_mismatch' });
    assert.equal(authorizationResponseIssuer(i, 'https://a.example', null, false).ok, true, 'absent and not advertised');
    assert.deepEqual(authorizationResponseIssuer(i, 'https://a.example', null, true), { ok: false, reason: 'iss_mismatch' }, 'advertised: required');
  });
});

describe('claim mapping (as.federation.jit-provisioning)', () => {
  const c = idp({ claims: { groups: 'groups' }, group_roles: { admins: ['admin'], ops: ['operator', 'admin'] }, default_roles: ['reader'] }).config;
  test('groups map to roles, an unverified email is never the username, overage is noticed (as.federation.jit-provisioning)', () => {
    const r = mapClaims('entra', c, { sub: 's1', email: 'x@y.example', groups: ['ops', 'unknown'] });
    assert.ok(r.ok);
    assert.deepEqual(r.identity.roles, ['admin', 'operator', 'reader']);
    assert.equal(r.identity.username, 'entra:s1');
    const v = mapClaims('entra', c, { sub: 's1', email: 'x@y.example', email_verified: true });
    assert.ok(v.ok && v.identity.username === 'x@y.example');
    const over = mapClaims('entra', c, { sub: 's1', _claim_names: { groups: 'src1' } });
    assert.ok(over.ok && over.identity.groups_overage && over.identity.roles.join() === 'reader');
    assert.deepEqual(mapClaims('entra', c, { email: 'x@y.example' }), { ok: false, reason: 'subject_missing' });
    const strict = idp({ require_email_verified: true }).config;
    assert.deepEqual(mapClaims('entra', strict, { sub: 's', email: 'x@y.example' }), { ok: false, reason: 'email_unverified' });
    const oid = idp({ claims: { subject: 'oid', username: 'preferred_username' } }).config;
    const o = mapClaims('entra', oid, { sub: 'pairwise', oid: 'object-id', preferred_username: 'ann@contoso.example' });
    assert.ok(o.ok && o.identity.subject === 'object-id' && o.identity.username === 'ann@contoso.example');
  });
});
