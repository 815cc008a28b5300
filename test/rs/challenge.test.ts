import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBearerChallenge,
  insufficientScopeChallenge,
  invalidRequestChallenge,
  invalidTokenChallenge,
  rsErrorResponse,
  unauthorizedChallenge,
} from '../../src/rs/challenge.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('RFC 6750 §3 / OAuth 2.1 §5.3 WWW-Authenticate challenges', () => {
  it('RFC 6750 §3.1 no credentials: resource_metadata and scope, no error (rs.challenge.no-error-without-credentials)', () => {
    assert.equal(
      unauthorizedChallenge({ resourceMetadataUrl: PRM, scope: ['files:read', 'files:write'] }),
      `Bearer resource_metadata="${PRM}", scope="files:read files:write"`,
    );
  });

  it('MCP "Scope Selection Strategy": scope omitted when the resource has none (rs.challenge.scope-omitted)', () => {
    assert.equal(unauthorizedChallenge({ resourceMetadataUrl: PRM, scope: [] }), `Bearer resource_metadata="${PRM}"`);
    assert.equal(unauthorizedChallenge({ resourceMetadataUrl: PRM }), `Bearer resource_metadata="${PRM}"`);
  });

  it('MCP "Token Handling": invalid_token with resource_metadata (rs.challenge.invalid-token)', () => {
    assert.equal(
      invalidTokenChallenge({ resourceMetadataUrl: PRM, scope: ['a'], description: 'The access token is invalid' }),
      `Bearer error="invalid_token", scope="a", resource_metadata="${PRM}", error_description="The access token is invalid"`,
    );
    assert.equal(invalidTokenChallenge({ resourceMetadataUrl: PRM }), `Bearer error="invalid_token", resource_metadata="${PRM}"`);
  });

  it('MCP "Runtime Insufficient Scope Errors": insufficient_scope names the scopes (rs.challenge.insufficient-scope)', () => {
    assert.equal(
      insufficientScopeChallenge({ scope: ['files:write'], resourceMetadataUrl: PRM, description: 'File write permission required' }),
      `Bearer error="insufficient_scope", scope="files:write", resource_metadata="${PRM}", error_description="File write permission required"`,
    );
    assert.throws(() => insufficientScopeChallenge({ scope: [], resourceMetadataUrl: PRM }), TypeError);
  });

  it('RFC 6750 §3.1 invalid_request', () => {
    assert.equal(
      invalidRequestChallenge({ resourceMetadataUrl: PRM, description: 'no query tokens' }),
      `Bearer error="invalid_request", resource_metadata="${PRM}", error_description="no query tokens"`,
    );
  });

  it('OAuth 2.1 §5.3.1: each auth-param at most once (rs.challenge.param-once)', () => {
    assert.throws(() => formatBearerChallenge([['scope', 'a'], ['scope', 'b']]), /given twice/);
    assert.equal(invalidTokenChallenge({ resourceMetadataUrl: PRM, scope: ['a', 'a'] }).match(/scope=/g)!.length, 1);
    assert.match(invalidTokenChallenge({ resourceMetadataUrl: PRM, scope: ['a', 'a'] }), /scope="a",/);
  });

  it('RFC 9110 §5.6.4 quoted-string: " and \\ are escaped; control characters refused (rs.challenge.quoting)', () => {
    assert.equal(formatBearerChallenge([['realm', 'a"b\\c']]), 'Bearer realm="a\\"b\\\\c"');
    assert.throws(() => formatBearerChallenge([['realm', 'a\r\nSet-Cookie: x']]), TypeError);
  });

  it('RFC 6750 §3 error_description limited to %x20-21 / %x23-5B / %x5D-7E (rs.challenge.description-charset)', () => {
    assert.equal(
      invalidTokenChallenge({ resourceMetadataUrl: PRM, description: 'bad "x" \\ é' }),
      `Bearer error="invalid_token", resource_metadata="${PRM}", error_description="bad  x     "`,
    );
  });

  it('OAuth 2.1 §5.3.1: scope characters validated (%x21 / %x23-5B / %x5D-7E) (rs.challenge.scope-chars)', () => {
    for (const bad of ['a b', 'a"b', 'a\\b', '', 'é']) {
      assert.throws(() => unauthorizedChallenge({ resourceMetadataUrl: PRM, scope: [bad] }), TypeError, bad);
    }
  });
});

describe('RS error responses', () => {
  it('401 without credentials: JSON body without error, no-store (rs.error.no-credentials)', async () => {
    const res = rsErrorResponse({ kind: 'no_credentials', resourceMetadataUrl: PRM, scope: ['a'] });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${PRM}", scope="a"`);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal((await res.json()).error, undefined);
  });

  it('statuses from the error table: invalid_token 401, insufficient_scope 403, invalid_request 400 (rs.error.statuses)', async () => {
    const t = rsErrorResponse({ kind: 'invalid_token', resourceMetadataUrl: PRM, description: 'generic' });
    assert.equal(t.status, 401);
    assert.deepEqual(await t.json(), { error: 'invalid_token', error_description: 'generic' });
    const s = rsErrorResponse({ kind: 'insufficient_scope', resourceMetadataUrl: PRM, scope: ['w'] });
    assert.equal(s.status, 403);
    assert.deepEqual(await s.json(), { error: 'insufficient_scope' });
    assert.equal(s.headers.get('www-authenticate'), `Bearer error="insufficient_scope", scope="w", resource_metadata="${PRM}"`);
    const r = rsErrorResponse({ kind: 'invalid_request', description: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_request", error_description="x"');
  });
});
