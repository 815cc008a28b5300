/**
 * Issue 10 item 2: property-based fuzzing of the JSON-RPC the gateway parses (src/gateway/jsonrpc.ts, policy.ts,
 * list-filter.ts, mcp-headers.ts): in-process on the pure functions, and over HTTP through the real gateway with a
 * notes:read token. Invariants: no throw, never a 5xx, nothing forwarded on refusal, and the oracle that matters —
 * no call the token's scopes do not allow ever reaches the upstream, whatever the body looks like.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonRpcBody } from '../../src/gateway/jsonrpc.js';
import { checkMessages, namedEntry, policyFor } from '../../src/gateway/policy.js';
import { createListFilter, filterJson, listRequests } from '../../src/gateway/list-filter.js';
import { headerMismatch } from '../../src/gateway/mcp-headers.js';
import { mcp, obtainTokens, startTarget, type AttackTarget } from '../attacks/harness.js';
import { fuzzParams, hostileString, unhandled } from './fuzz-helpers.js';

let t: AttackTarget;
let reader: string;
before(async () => {
  t = await startTarget();
  reader = (await obtainTokens(t, { scope: 'notes:read' })).access_token;
});
after(async () => {
  await t.close();
  assert.deepEqual(unhandled, [], 'no unhandled rejection during the fuzz run');
});

const METHODS = ['tools/call', 'tools/list', 'prompts/get', 'prompts/list', 'resources/read', 'resources/list', 'initialize', 'ping', 'notifications/initialized', 'tools/call '];
const TOOLS = ['list_notes', 'add_note', 'delete_all', 'unknown_tool', 'ADD_NOTE', 'add_note ', 'add_note\u0000'];
const id = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue());
const message = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
    id,
    method: fc.oneof(fc.constantFrom(...METHODS), hostileString(), fc.jsonValue()),
    params: fc.oneof(fc.record({ name: fc.oneof(fc.constantFrom(...TOOLS), hostileString(), fc.jsonValue()), uri: fc.oneof(hostileString(), fc.jsonValue()), arguments: fc.jsonValue(), cursor: hostileString() }, { requiredKeys: [] }), fc.jsonValue()),
  },
  { requiredKeys: ['method'] },
);
const body = fc.oneof(message, fc.array(message, { maxLength: 5 }), fc.jsonValue());
const headerValue = fc.oneof(fc.constantFrom(...METHODS, ...TOOLS), hostileString()).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim());

/** the tool calls a notes:read token must never get through */
const forbidden = (value: unknown): string[] => {
  const msgs = Array.isArray(value) ? value : [value];
  return msgs.flatMap((m) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return [];
    const e = namedEntry(m as Record<string, unknown>);
    return e && e.kind === 'tool' && (e.name === 'add_note' || e.name === 'delete_all') ? [e.name] : [];
  });
};

describe('fuzz: the gateway\'s JSON-RPC parsing, policy and list filtering (sec.fuzz)', () => {
  it('parseJsonRpcBody never throws on arbitrary bytes (sec.fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), body.map((b) => new TextEncoder().encode(JSON.stringify(b)))), (bytes) => {
        const parsed = parseJsonRpcBody(bytes);
        assert.ok(['empty', 'json', 'invalid'].includes(parsed.kind));
      }),
      fuzzParams(),
    );
  });

  it('checkMessages, headerMismatch and the list filter never throw, and never allow a call above the scopes (sec.fuzz)', () => {
    const resource = t.settings.resources[0]!;
    const policy = policyFor(resource);
    fc.assert(
      fc.property(body, fc.option(headerValue), fc.option(headerValue), fc.jsonValue(), (value, method, name, upstream) => {
        const parsed = parseJsonRpcBody(new TextEncoder().encode(JSON.stringify(value)));
        if (parsed.kind !== 'json') return;
        const headers = new Headers();
        if (method) headers.set('mcp-method', method);
        if (name) headers.set('mcp-name', name);
        headerMismatch(headers, parsed.messages, parsed.batch);
        const decision = checkMessages(parsed.messages, { resource, scopes: ['notes:read'] });
        if (forbidden(parsed.value).length > 0) assert.equal(decision.allow, false, JSON.stringify(parsed.value));
        const lists = listRequests(parsed.messages);
        const filtered = filterJson(new TextEncoder().encode(JSON.stringify(upstream)), createListFilter(lists, policy, ['notes:read']));
        JSON.parse(new TextDecoder().decode(filtered));
      }),
      fuzzParams(),
    );
  });

  it('over HTTP: no 5xx, a refusal forwards nothing, and no forbidden call ever reaches the upstream (sec.fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(body.map((b) => JSON.stringify(b)), hostileString()), fc.option(headerValue), fc.option(headerValue), async (text, method, name) => {
        const before = t.upstream.length;
        const headers: Record<string, string> = {};
        if (method) headers['mcp-method'] = method;
        if (name) headers['mcp-name'] = name;
        const res = await mcp(t, reader, text, headers);
        const answer = await res.text();
        assert.ok(res.status < 500, `no 5xx: ${res.status} ${answer.slice(0, 200)}`);
        if (res.status >= 400) assert.equal(t.upstream.length, before, `refused (${res.status}) but forwarded`);
        for (const seen of t.upstream.slice(before)) {
          let value: unknown;
          try {
            value = JSON.parse(seen.body);
          } catch {
            value = undefined;
          }
          assert.deepEqual(forbidden(value), [], `a forbidden call reached the upstream: ${seen.body.slice(0, 200)}`);
        }
      }),
      fuzzParams(),
    );
  });
});
