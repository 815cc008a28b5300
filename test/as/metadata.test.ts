import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ISSUER, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('RFC 8414 §3 / MCP [DISC]: authorization server metadata (as.metadata)', () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    it(`${path}: issuer exact, S256 only, CIMD and iss advertised`, async () => {
      const res = await h.request(path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^application\/json/);
      const m = (await res.json()) as Record<string, unknown>;
      assert.equal(m.issuer, ISSUER);
      assert.equal(m.authorization_endpoint, `${ISSUER}/authorize`);
      assert.equal(m.token_endpoint, `${ISSUER}/token`);
      assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(m.response_types_supported, ['code']);
      assert.equal(m.client_id_metadata_document_supported, true);
      assert.equal(m.authorization_response_iss_parameter_supported, true);
      assert.deepEqual(m.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      assert.ok(!(m as { registration_endpoint?: string }).registration_endpoint, 'DCR stays off');
    });
  }
  it('JWKS publishes the signing key (public only)', async () => {
    const jwks = (await (await h.request('/jwks.json')).json()) as { keys: Record<string, string>[] };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.kty, 'EC');
    assert.equal(jwks.keys[0]!.d, undefined);
  });
});

describe('RFC 9728 §3: protected resource metadata at the path-inserted URL (rs.prm.path-inserted)', () => {
  it('resource equals the MCP URL exactly; authorization_servers names the issuer', async () => {
    const res = await h.request('/.well-known/oauth-protected-resource/mcp');
    assert.equal(res.status, 200);
    const prm = (await res.json()) as Record<string, unknown>;
    assert.equal(prm.resource, RESOURCE);
    assert.deepEqual(prm.authorization_servers, [ISSUER]);
    assert.deepEqual(prm.scopes_supported, ['notes:read', 'notes:write']);
  });
  it('the root form is not served when the resource has a path (its resource would not match)', async () => {
    assert.equal((await h.request('/.well-known/oauth-protected-resource')).status, 404);
  });
});

describe('RFC 8414 §3.1: issuer with a path → path-inserted metadata (as.metadata.path-issuer)', () => {
  it('serves /.well-known/oauth-authorization-server/tenant and /tenant/.well-known/openid-configuration', async () => {
    const t = await startHarness({ issuer: `${ISSUER}/tenant` });
    try {
      for (const p of ['/.well-known/oauth-authorization-server/tenant', '/.well-known/openid-configuration/tenant', '/tenant/.well-known/openid-configuration']) {
        const m = (await (await t.request(p)).json()) as Record<string, unknown>;
        assert.equal(m.issuer, `${ISSUER}/tenant`, p);
      }
      const prm = (await (await t.request('/.well-known/oauth-protected-resource/tenant/mcp')).json()) as Record<string, unknown>;
      assert.equal(prm.resource, `${ISSUER}/tenant/mcp`);
    } finally {
      await t.close();
    }
  });
});
