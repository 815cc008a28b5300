/**
 * Issue 10 attack suite — Dynamic Client Registration abuse (RFC 7591 §2, §3; OAuth 2.1 §2.3.1; MCP [SEC]
 * Confused Deputy). Registration is on in the target. Each malicious registration gets 400 with
 * invalid_redirect_uri or invalid_client_metadata and registers nothing. `[bites: <control>]`: see
 * scripts/mutation-run.mjs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuth, expectOAuthError, form, postToken, refusedWithoutWrite, startTarget, type AttackTarget } from './harness.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(() => t.close());

const register = (body: unknown, contentType = 'application/json'): Promise<Response> =>
  t.fetch('/register', { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const meta = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ application_type: 'native', client_name: 'Attacker app', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', ...o });

async function refusedRegistration(body: unknown, error: string, contentType?: string): Promise<void> {
  const { result } = await refusedWithoutWrite(t, () => register(body, contentType));
  assert.equal(result.headers.get('cache-control'), 'no-store');
  await expectOAuthError(result, 400, error);
}

describe('attack: malicious redirect URIs at registration (RFC 7591 §2; OAuth 2.1 §2.3.1)', () => {
  const schemes: Array<[string, Record<string, unknown>]> = [
    ['a javascript: redirect URI', meta({ redirect_uris: ['javascript:alert(document.cookie)'] })],
    ['a data: redirect URI', meta({ redirect_uris: ['data:text/html,<script>alert(1)</script>'] })],
    ['an http redirect URI on a public host (native app)', meta({ redirect_uris: ['http://evil.example/cb'] })],
    ['an http loopback redirect URI for a web application', meta({ application_type: 'web', redirect_uris: ['http://127.0.0.1/cb'] })],
    ['a custom-scheme redirect URI for a web application', meta({ application_type: 'web', redirect_uris: ['com.evil.app:/cb'] })],
    ['a file: redirect URI', meta({ redirect_uris: ['file:///etc/passwd'] })],
  ];
  for (const [name, body] of schemes) {
    it(`${name} is refused with invalid_redirect_uri (as.dcr.redirect-uris) [bites: dcr.redirect-uri-scheme]`, async () => {
      await refusedRegistration(body, 'invalid_redirect_uri');
    });
  }

  it('a redirect URI with a fragment is refused (as.dcr.redirect-uris) [bites: dcr.redirect-uri-shape]', async () => {
    await refusedRegistration(meta({ redirect_uris: ['https://app.example/cb#x'] }), 'invalid_redirect_uri');
  });

  it('a redirect URI with userinfo is refused (as.dcr.redirect-uris) [bites: dcr.redirect-uri-shape]', async () => {
    await refusedRegistration(meta({ redirect_uris: ['https://app.example@evil.example/cb'] }), 'invalid_redirect_uri');
  });

  it('an empty redirect_uris list is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ redirect_uris: [] }), 'invalid_redirect_uri');
  });

  it('a redirect URI with control characters is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ redirect_uris: ['https://app.example/cb\r\nLocation: https://evil.example'] }), 'invalid_redirect_uri');
  });
});

describe('attack: malicious client metadata at registration (RFC 7591 §2, §3.2.2)', () => {
  it('a missing application_type is refused (SEP-837) (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ application_type: undefined }), 'invalid_client_metadata');
  });

  it('a jwks carrying a private key is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] } }), 'invalid_client_metadata');
  });

  it('a symmetric (oct) key in jwks is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'invalid_client_metadata');
  });

  it('a logo_uri over http (tracking, mixed content) is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ logo_uri: 'http://evil.example/logo.png' }), 'invalid_client_metadata');
  });

  it('a scope with quote characters (header injection into challenges) is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ scope: 'notes:read" error="x' }), 'invalid_client_metadata');
  });

  it('grant_types without authorization_code (client_credentials only) is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ grant_types: ['client_credentials'] }), 'invalid_client_metadata');
  });

  it('a body that is not JSON is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration('{"application_type":', 'invalid_client_metadata');
  });

  it('a form-encoded body is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration('application_type=native&redirect_uris=http://127.0.0.1/cb', 'invalid_client_metadata', 'application/x-www-form-urlencoded');
  });

  it('a JSON array instead of an object is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration([meta()], 'invalid_client_metadata');
  });

  it('an oversized registration body is refused (as.dcr.redirect-uris)', async () => {
    await refusedRegistration(meta({ client_name: 'x'.repeat(200_000) }), 'invalid_client_metadata');
  });

  it('a __proto__ member does not pollute Object.prototype (as.dcr.redirect-uris)', async () => {
    const res = await register(`{"__proto__":{"polluted":true},"application_type":"native","redirect_uris":["http://127.0.0.1/cb"]}`);
    assert.ok(res.status === 201 || res.status === 400, String(res.status));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('attack: privilege escalation by a registered client (RFC 7591 §3.2.1; OAuth 2.1 §4.2)', () => {
  it('a registered client cannot obtain client_credentials even if it asked for the grant (as.dcr.redirect-uris)', async () => {
    const res = await register(meta({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'client_credentials'] }));
    const reg = (await res.json()) as { client_id: string; client_secret: string; grant_types: string[] };
    assert.equal(res.status, 201, JSON.stringify(reg));
    assert.ok(!reg.grant_types.includes('client_credentials'), 'the echo shows what was registered');
    const { result } = await refusedWithoutWrite(t, () => postToken(t, form({ grant_type: 'client_credentials', resource: t.resource }), { authorization: basicAuth(reg.client_id, reg.client_secret) }));
    await expectOAuthError(result, 400, 'unauthorized_client');
  });

  it('GET /register is refused (as.dcr.redirect-uris)', async () => {
    const { result } = await refusedWithoutWrite(t, () => t.fetch('/register'));
    await expectOAuthError(result, 400, 'invalid_request');
  });
});
