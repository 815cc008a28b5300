import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProtectedResource } from '../../src/config/resolve.js';
import { createListFilter, filterJson, filterSse, listRequests } from '../../src/gateway/list-filter.js';
import { checkMessages, compilePolicy } from '../../src/gateway/policy.js';
import { headerMismatch } from '../../src/gateway/mcp-headers.js';

const resource: ProtectedResource = {
  id: 'https://gw.example.com/mcp',
  path: '/mcp',
  metadataUrl: 'https://gw.example.com/.well-known/oauth-protected-resource/mcp',
  metadataPath: '/.well-known/oauth-protected-resource/mcp',
  upstream: 'http://127.0.0.1:9/mcp',
  name: 'x',
  scopes: ['notes:read', 'notes:write', 'notes:admin'],
  tools: { list_notes: 'notes:read', 'read_*': 'notes:read', add_note: 'notes:write', 'admin_*': 'notes:admin' },
  prompts: { 'summarize*': 'notes:read' },
  mcpResources: { 'notes://private/*': 'notes:admin', 'notes://*': 'notes:read' },
  scopeImplies: { 'notes:admin': ['notes:write'], 'notes:write': ['notes:read'] },
  unlisted: 'deny',
};
const policy = compilePolicy(resource);
const call = (method: string, params: Record<string, unknown>, id = 1) => ({ jsonrpc: '2.0', id, method, params });

describe('MCP "Step-Up Authorization Flow": servers MUST account for scope hierarchies (gw.policy.hierarchy)', () => {
  it('notes:admin ⊃ notes:write ⊃ notes:read', () => {
    assert.equal(checkMessages([call('tools/call', { name: 'list_notes' })], { resource, scopes: ['notes:admin'] }).allow, true);
    assert.equal(checkMessages([call('tools/call', { name: 'add_note' })], { resource, scopes: ['notes:write'] }).allow, true);
    const d = checkMessages([call('tools/call', { name: 'add_note' })], { resource, scopes: ['notes:read'] });
    assert.equal(d.allow, false);
    assert.deepEqual(!d.allow && d.requiredScopes, ['notes:write']);
  });
  it('globs: exact beats glob, longest glob wins; unlisted deny is forbidden, not step-up', () => {
    assert.equal(policy.scopeFor('tool', 'read_note'), 'notes:read');
    assert.equal(policy.scopeFor('tool', 'admin_wipe'), 'notes:admin');
    assert.equal(policy.scopeFor('resource', 'notes://private/x'), 'notes:admin');
    assert.equal(policy.scopeFor('resource', 'notes://public/x'), 'notes:read');
    assert.equal(policy.scopeFor('tool', 'unknown'), 'deny');
    const d = checkMessages([call('tools/call', { name: 'unknown' })], { resource, scopes: ['notes:admin'] });
    assert.equal(!d.allow && d.forbidden, true);
  });
  it('resources/read and prompts/get need their scopes; a batch is refused as a whole (gw.policy.batch)', () => {
    assert.equal(checkMessages([call('resources/read', { uri: 'notes://private/1' })], { resource, scopes: ['notes:write'] }).allow, false);
    assert.equal(checkMessages([call('prompts/get', { name: 'summarize_all' })], { resource, scopes: ['notes:read'] }).allow, true);
    const batch = checkMessages([call('tools/call', { name: 'list_notes' }, 1), call('tools/call', { name: 'admin_wipe' }, 2)], { resource, scopes: ['notes:read'] });
    assert.equal(batch.allow, false);
    assert.deepEqual(!batch.allow && batch.requiredScopes.sort(), ['notes:admin', 'notes:read']);
  });
});

describe('Issue 3: list responses show only what the token may use (gw.policy.list-filter)', () => {
  const tools = { jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'list_notes' }, { name: 'add_note' }, { name: 'admin_wipe' }, { name: 'mystery' }], nextCursor: 'c2' } };
  it('tools/list JSON: read scope sees read tools only; cursor kept', () => {
    const lists = listRequests([call('tools/list', {}, 7)]);
    const out = JSON.parse(Buffer.from(filterJson(Buffer.from(JSON.stringify(tools)), createListFilter(lists, policy, ['notes:read']))).toString()) as typeof tools;
    assert.deepEqual(out.result.tools.map((t) => t.name), ['list_notes']);
    assert.equal(out.result.nextCursor, 'c2');
  });
  it('a response to another id is untouched', () => {
    const lists = listRequests([call('tools/list', {}, 8)]);
    const bytes = Buffer.from(JSON.stringify(tools));
    assert.equal(filterJson(bytes, createListFilter(lists, policy, ['notes:read'])), bytes);
  });
  it('SSE: events are rewritten one by one and each is emitted before the next arrives', async () => {
    const lists = listRequests([call('tools/list', {}, 7)]);
    const t = filterSse(createListFilter(lists, policy, ['notes:write']));
    const writer = t.writable.getWriter();
    const reader = t.readable.getReader();
    const enc = new TextEncoder();
    void writer.write(enc.encode('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n'));
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /notifications\/progress/, 'the first event is out before the second is written');
    void writer.write(enc.encode(`id: 5\nevent: message\ndata: ${JSON.stringify(tools).slice(0, 30)}`));
    void writer.write(enc.encode(`${JSON.stringify(tools).slice(30)}\n\n`));
    const second = new TextDecoder().decode((await reader.read()).value);
    assert.match(second, /^id: 5\nevent: message\ndata: /);
    const data = JSON.parse(second.split('data: ')[1]!) as typeof tools;
    assert.deepEqual(data.result.tools.map((x) => x.name), ['list_notes', 'add_note']);
    void writer.close();
  });
  it('resources/list and prompts/list are filtered too', () => {
    const lists = listRequests([call('resources/list', {}, 1), call('prompts/list', {}, 2)]);
    const f = createListFilter(lists, policy, ['notes:read']);
    const r = f({ jsonrpc: '2.0', id: 1, result: { resources: [{ uri: 'notes://a' }, { uri: 'notes://private/b' }] } }).value as { result: { resources: { uri: string }[] } };
    assert.deepEqual(r.result.resources.map((x) => x.uri), ['notes://a']);
    const p = f({ jsonrpc: '2.0', id: 2, result: { prompts: [{ name: 'summarize' }, { name: 'other' }] } }).value as { result: { prompts: { name: string }[] } };
    assert.deepEqual(p.result.prompts.map((x) => x.name), ['summarize']);
  });
});

describe('MCP 2026-07-28 [HTTP] "Server Validation": Mcp-Method / Mcp-Name must agree with the body (gw.headers.mismatch)', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  const msg = call('tools/call', { name: 'add_note' });
  it('consistent or absent headers pass', () => {
    assert.equal(headerMismatch(h({}), [msg], false), null);
    assert.equal(headerMismatch(h({ 'mcp-method': 'tools/call', 'mcp-name': 'add_note' }), [msg], false), null);
    assert.equal(headerMismatch(h({ 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from('add_note').toString('base64')}?=` }), [msg], false), null);
  });
  it('a different method or name, a missing name on 2026 wire, or headers on a batch → mismatch', () => {
    assert.ok(headerMismatch(h({ 'mcp-method': 'tools/list' }), [msg], false));
    assert.ok(headerMismatch(h({ 'mcp-method': 'tools/call', 'mcp-name': 'list_notes' }), [msg], false));
    assert.ok(headerMismatch(h({ 'mcp-method': 'tools/call' }), [msg], false));
    assert.ok(headerMismatch(h({ 'mcp-method': 'tools/call', 'mcp-name': 'add_note' }), [msg, msg], true));
  });
});
