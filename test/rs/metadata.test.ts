import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProtectedResource } from '../../src/config/resolve.js';
import { prmHandler, prmResponse, protectedResourceMetadata } from '../../src/rs/metadata.js';

const ISSUER = 'https://auth.example.com';

function resource(over: Partial<ProtectedResource> = {}): ProtectedResource {
  return {
    id: 'https://mcp.example.com/mcp',
    path: '/mcp',
    metadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    metadataPath: '/.well-known/oauth-protected-resource/mcp',
    upstream: 'http://127.0.0.1:9/mcp',
    name: 'Notes',
    scopes: ['notes:read', 'notes:write'],
    tools: {},
    prompts: {},
    mcpResources: {},
    scopeImplies: {},
    unlisted: 'allow',
    ...over,
  };
}

describe('RFC 9728 §2 Protected Resource Metadata document', () => {
  it('RFC 9728 §3.3 PRM resource equals the canonical MCP URL, as a string (rs.prm.resource-exact)', () => {
    assert.equal(protectedResourceMetadata(resource(), ISSUER).resource, 'https://mcp.example.com/mcp');
    // spec-checklist §6 item 2: a bare origin must not grow a trailing slash
    const origin = resource({ id: 'https://mcp.example.com', path: '' });
    assert.equal(protectedResourceMetadata(origin, ISSUER).resource, 'https://mcp.example.com');
  });

  it('MCP [DISC] authorization_servers holds the issuer (rs.prm.authorization-servers)', () => {
    assert.deepEqual(protectedResourceMetadata(resource(), ISSUER).authorization_servers, [ISSUER]);
  });

  it('RFC 9728 §2 bearer_methods_supported is ["header"] only; MCP forbids query tokens (rs.prm.bearer-methods)', () => {
    assert.deepEqual(protectedResourceMetadata(resource(), ISSUER).bearer_methods_supported, ['header']);
  });

  it('RFC 9728 §2 scopes_supported and resource_name carry the configuration (rs.prm.scopes)', () => {
    const doc = protectedResourceMetadata(resource(), ISSUER);
    assert.deepEqual(doc.scopes_supported, ['notes:read', 'notes:write']);
    assert.equal(doc.resource_name, 'Notes');
  });

  it('MCP "Refresh Tokens": offline_access is never advertised (rs.prm.no-offline-access)', () => {
    const doc = protectedResourceMetadata(resource({ scopes: ['offline_access', 'a'] }), ISSUER);
    assert.deepEqual(doc.scopes_supported, ['a']);
  });

  it('RFC 9728 §3.2 parameters with no value are omitted (rs.prm.omit-empty)', () => {
    const doc = protectedResourceMetadata(resource({ scopes: [], name: '' }), ISSUER);
    assert.deepEqual(Object.keys(doc).sort(), ['authorization_servers', 'bearer_methods_supported', 'resource']);
    const withOnlyOffline = protectedResourceMetadata(resource({ scopes: ['offline_access'] }), ISSUER);
    assert.equal('scopes_supported' in withOnlyOffline, false);
  });
});

describe('RFC 9728 §3.2 metadata response', () => {
  it('200 application/json, CORS-readable from any origin, cacheable for 5 minutes (rs.prm.response)', async () => {
    const res = prmResponse(resource(), ISSUER);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    assert.deepEqual(await res.json(), protectedResourceMetadata(resource(), ISSUER));
  });

  it('spec-checklist §2A item 24: preflight allows MCP-Protocol-Version (rs.prm.cors-preflight)', () => {
    const handle = prmHandler(resource(), ISSUER);
    const res = handle(new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', { method: 'OPTIONS' }));
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers')!, /MCP-Protocol-Version/);
  });

  it('handler: GET serves, HEAD has no body, other methods 405', async () => {
    const handle = prmHandler(resource(), ISSUER);
    const url = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
    assert.equal((await handle(new Request(url)).json()).resource, 'https://mcp.example.com/mcp');
    const head = handle(new Request(url, { method: 'HEAD' }));
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    const post = handle(new Request(url, { method: 'POST' }));
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
});
