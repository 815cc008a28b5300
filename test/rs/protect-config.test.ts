/**
 * Issue 11 item 1: misconfiguration of `createResourceServer` fails at construction with a ConfigError naming the
 * option, and no way of passing options turns the audience check off (RFC 9068 §4, RFC 8707).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, createResourceServer, type ResourceServerOptions } from '../../src/rs/index.js';

const BASE = { resource: 'https://mcp.example.com/mcp', issuer: 'https://auth.example.com', revocation: 'none' } as const;

function configError(options: unknown, option: string | RegExp, message?: RegExp): void {
  assert.throws(
    () => createResourceServer(options as ResourceServerOptions),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `ConfigError, got ${String(e)}`);
      if (typeof option === 'string') assert.equal(e.option, option, e.message);
      else assert.match(e.option, option, e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('createResourceServer: misconfiguration fails at construction, naming the option (rs.protect.config-errors)', () => {
  test('required and malformed URLs', () => {
    configError({ issuer: BASE.issuer, revocation: 'none' }, 'resource', /is required/);
    configError({ resource: BASE.resource, revocation: 'none' }, 'issuer', /is required/);
    configError({ ...BASE, resource: 'mcp.example.com/mcp' }, 'resource', /not an absolute URL/);
    configError({ ...BASE, resource: 'https://mcp.example.com/mcp#x' }, 'resource', /fragment/);
    configError({ ...BASE, resource: 'https://mcp.example.com/mcp?tenant=1' }, 'resource', /query/);
    configError({ ...BASE, resource: 'http://mcp.example.com/mcp' }, 'resource', /loopback/);
    configError({ ...BASE, resource: 'ftp://mcp.example.com/mcp' }, 'resource', /https/);
    configError({ ...BASE, issuer: 'http://auth.example.com' }, 'issuer', /loopback/);
    configError({ ...BASE, issuer: 'https://u:p@auth.example.com' }, 'issuer', /credentials/);
  });

  test('policy: a tool, prompt or implied scope outside scopes; offline_access; bad scope tokens; none / HS algorithms', () => {
    configError({ ...BASE, scopes: ['a'], tools: { t: 'b' } }, 'tools.t', /"b" is not in scopes/);
    configError({ ...BASE, scopes: ['a'], prompts: { p: 'b' } }, 'prompts.p');
    configError({ ...BASE, scopes: ['a'], scopeImplies: { a: ['c'] } }, 'scopeImplies.a');
    configError({ ...BASE, scopes: ['offline_access'] }, 'scopes', /offline_access/);
    configError({ ...BASE, scopes: ['has space'] }, /^scopes/);
    configError({ ...BASE, algorithms: ['none'] }, 'algorithms');
    configError({ ...BASE, algorithms: ['HS256'] }, 'algorithms');
    configError({ ...BASE, unlisted: 'maybe' }, 'unlisted');
  });

  test('revocation and credentials: silence is not "none"; secrets from env or file only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-config-'));
    configError({ resource: BASE.resource, issuer: BASE.issuer }, 'revocation', /revocation: "none"/);
    configError({ ...BASE, revocation: 'poll' }, 'credentials');
    configError({ ...BASE, introspection: true }, 'credentials', /introspection/);
    configError({ ...BASE, credentials: { clientId: 'rs' } }, 'credentials.clientSecretEnv');
    configError({ ...BASE, credentials: { clientId: 'rs', clientSecretEnv: 'NOPE_NOT_SET' }, env: {} }, 'credentials.clientSecretEnv', /NOPE_NOT_SET is not set/);
    configError({ ...BASE, credentials: { clientId: 'rs', clientSecretFile: join(dir, 'missing') } }, 'credentials.clientSecretFile', /ENOENT/);
    configError({ ...BASE, credentials: { clientId: 'rs', clientSecret: 'inline' } }, 'credentials.clientSecret', /unknown option/);
    configError({ ...BASE, revocation: { mode: 'poll', intervalSeconds: 0 } }, 'revocation.intervalSeconds');
    writeFileSync(join(dir, 'secret'), 's3cret\n');
    assert.doesNotThrow(() => createResourceServer({ ...BASE, revocation: 'poll', credentials: { clientId: 'rs', clientSecretFile: join(dir, 'secret') } }).close());
    assert.doesNotThrow(() => createResourceServer({ resource: BASE.resource, issuer: BASE.issuer, credentials: { clientId: 'rs', clientSecretEnv: 'S' }, env: { S: 'x' } }).close());
  });

  test('no option, value or shape turns the audience check off (RFC 9068 §4, RFC 8707) (rs.protect.audience-required)', () => {
    const attempts: Array<[string, unknown]> = [
      ['resource', { ...BASE, resource: undefined }],
      ['resource', { ...BASE, resource: null }],
      ['resource', { ...BASE, resource: '' }],
      ['resource', { ...BASE, resource: '*' }],
      ['resource', { ...BASE, resource: 'https://*.example.com/mcp' }],
      ['resource', { ...BASE, resource: ['https://a.example/mcp', 'https://b.example/mcp'] }],
      ['resource', { ...BASE, resource: false }],
      ['resource', { ...BASE, resource: new URL(BASE.resource) }],
      ['audience', { ...BASE, audience: false }],
      ['audience', { ...BASE, audience: null }],
      ['audience', { ...BASE, audience: '*' }],
      ['checkAudience', { ...BASE, checkAudience: false }],
      ['verifyAudience', { ...BASE, verifyAudience: false }],
      ['skipAudienceCheck', { ...BASE, skipAudienceCheck: true }],
      ['aud', { ...BASE, aud: [] }],
      ['verify', { ...BASE, verify: { audience: false } }],
      ['jwt', { ...BASE, jwt: { audience: undefined } }],
      ['options', null],
      ['options', 'https://mcp.example.com/mcp'],
      ['options', [BASE]],
    ];
    for (const [option, opts] of attempts) {
      assert.throws(() => createResourceServer(opts as ResourceServerOptions), (e: unknown) => e instanceof ConfigError && e.option.startsWith(option), `${JSON.stringify(opts)} must be refused naming ${option}`);
    }
    // an unknown audience-ish option says why it is refused
    configError({ ...BASE, audience: false }, 'audience', /always checked/);
    // an inherited property is looked at too, and refused
    const proto = Object.create({ audience: false }) as Record<string, unknown>;
    Object.assign(proto, BASE);
    configError(proto, 'audience');
    // and what is accepted has exactly the resource as its audience
    const s = createResourceServer({ ...BASE });
    assert.equal(s.resource, BASE.resource);
    s.close();
  });
});
