import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProtectedResource } from '../../src/config/resolve.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../../src/gateway/headers.js';
import { parseJsonRpcBody, responseId } from '../../src/gateway/jsonrpc.js';
import { checkMessages, type PolicyContext } from '../../src/gateway/policy.js';

const resource: ProtectedResource = {
  id: 'https://gw.example.com/mcp',
  path: '/mcp',
  metadataUrl: 'https://gw.example.com/.well-known/oauth-protected-resource/mcp',
  metadataPath: '/.well-known/oauth-protected-resource/mcp',
  upstream: 'http://127.0.0.1:9/mcp',
  name: 'x',
  scopes: ['r', 'w'],
  tools: { write: 'w', read: 'r' },
  prompts: {},
  mcpResources: {},
  scopeImplies: {},
  unlisted: 'allow',
};
const ctx = (scopes: string[]): PolicyContext => ({ resource, scopes });
const call = (name: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } });

describe('MCP "Runtime Insufficient Scope Errors": tool policy (gw.policy.tools-call)', () => {
  it('a mapped tool needs its scope; unmapped tools and other methods need none', () => {
    assert.deepEqual(checkMessages([call('write')], ctx(['w'])), { allow: true });
    const d = checkMessages([call('write')], ctx(['r']));
    assert.equal(d.allow, false);
    assert.deepEqual(!d.allow && d.requiredScopes, ['w']);
    assert.deepEqual(checkMessages([call('other'), { jsonrpc: '2.0', id: 2, method: 'tools/list' }], ctx([])), { allow: true });
  });

  it('applies to every member of a batch, naming all scopes the batch needs once', () => {
    const d = checkMessages([call('read'), call('write'), call('write')], ctx(['r']));
    assert.equal(d.allow, false);
    assert.deepEqual(!d.allow && d.requiredScopes, ['r', 'w']);
    assert.deepEqual(!d.allow && d.denied.map((x) => x.name), ['write', 'write']);
  });

  it('notifications count too (no id needed); prototype names never match', () => {
    assert.equal(checkMessages([{ jsonrpc: '2.0', method: 'tools/call', params: { name: 'write' } }], ctx([])).allow, false);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(checkMessages([call(name)], ctx([])), { allow: true }, name);
    }
    assert.deepEqual(checkMessages([call(42), { method: 'tools/call' }, { method: 'tools/call', params: null }], ctx([])), { allow: true });
  });
});

describe('JSON-RPC body parsing', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('object, batch, empty, invalid', () => {
    assert.deepEqual(parseJsonRpcBody(enc('')), { kind: 'empty' });
    assert.deepEqual(parseJsonRpcBody(enc('{"a":1}')), { kind: 'json', messages: [{ a: 1 }], batch: false, value: { a: 1 } });
    assert.deepEqual(parseJsonRpcBody(enc('[{"a":1},2,null]')), { kind: 'json', messages: [{ a: 1 }], batch: true, value: [{ a: 1 }, 2, null] });
    assert.deepEqual(parseJsonRpcBody(enc('{"a":')), { kind: 'invalid' });
    assert.deepEqual(parseJsonRpcBody(new Uint8Array([0x7b, 0xff, 0x7d])), { kind: 'invalid' }, 'invalid UTF-8');
  });
  it('responseId: the single request id, else null', () => {
    assert.equal(responseId(parseJsonRpcBody(enc('{"id":"a"}'))), 'a');
    assert.equal(responseId(parseJsonRpcBody(enc('[{"id":"a"}]'))), null);
    assert.equal(responseId(undefined), null);
  });
});

describe('RFC 9110 §7.6.1 header rewriting (gw.proxy.headers)', () => {
  it('upstream request: sets host and forwarding fields, drops the rest', () => {
    const incoming = new Headers({
      authorization: 'Bearer t',
      connection: 'X-Named',
      'x-named': '1',
      te: 'trailers',
      'proxy-connection': 'keep-alive',
      expect: '100-continue',
      'content-length': '10',
      host: 'gw.example.com',
      accept: 'application/json',
    });
    const out = upstreamRequestHeaders(incoming, new URL('http://up.internal:8000/mcp'), { for: '10.0.0.1', proto: 'https', host: 'gw.example.com' });
    assert.deepEqual(out, {
      accept: 'application/json',
      host: 'up.internal:8000',
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'gw.example.com',
    });
  });
  it('downstream response: keeps end-to-end fields (repeated ones too)', () => {
    const out = downstreamResponseHeaders({
      'content-type': 'text/event-stream',
      'transfer-encoding': 'chunked',
      connection: ['keep-alive', 'x-a'],
      'x-a': '1',
      link: ['<a>', '<b>'],
      trailer: 'x',
      'Mcp-Session-Id': 's',
    });
    assert.deepEqual([...out], [['content-type', 'text/event-stream'], ['link', '<a>, <b>'], ['mcp-session-id', 's']]);
  });
});
