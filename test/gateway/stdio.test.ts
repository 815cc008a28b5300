/**
 * issue 7 item 1: stdio MCP servers behind the gateway, driven by the official SDK client (and raw HTTP where the
 * wire itself is the point). The fixture (helpers/stdio-server.ts) keeps per-process state, so that which
 * process served a request is observable.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { MCP_HEADERS, toolCall, type GatewayHarness } from './helpers/harness.js';
import { alive, connectSdk, linesOf, startStdioGateway, toolText, waitFor } from './helpers/stdio-harness.js';
import { STDERR_MARKER, STDOUT_NOISE } from './helpers/stdio-markers.js';

const tmp = mkdtempSync(join(tmpdir(), 'portcullis-stdio-'));
const cancelLog = join(tmp, 'cancelled.log');
const SECRET = 'stdio-test-secret-value-0123456789';
process.env.PORTCULLIS_STDIO_TEST_SECRET = SECRET;

let h: GatewayHarness;
before(async () => {
  h = await startStdioGateway({ env: { FIXTURE_CANCEL_LOG: cancelLog }, env_from: { FIXTURE_SECRET: { env: 'PORTCULLIS_STDIO_TEST_SECRET' } } });
});
after(async () => {
  await h.close();
  rmSync(tmp, { recursive: true, force: true });
});

const post = async (token: string, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}) =>
  fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...init.headers }, body: JSON.stringify(body), ...(init.signal ? { signal: init.signal } : {}) });

describe('issue 7: a stdio MCP server per user behind the gateway, official SDK client (gw.stdio.per-user)', () => {
  it('two users at once get separate child processes, each seeing only their own state (gw.stdio.per-user)', async () => {
    const [alice, bob] = await Promise.all([connectSdk(h.url, await h.token({ sub: 'alice' })), connectSdk(h.url, await h.token({ sub: 'bob' }))]);
    try {
      const [pa, pb] = await Promise.all([alice.callTool({ name: 'whoami' }), bob.callTool({ name: 'whoami' })]).then((r) => r.map(toolText).map(Number));
      assert.ok(pa! > 0 && pb! > 0);
      assert.notEqual(pa, pb, 'users share a process');
      assert.ok(alive(pa!) && alive(pb!));
      // interleaved, concurrent calls: each user's counter counts only their own calls
      const calls = await Promise.all([
        alice.callTool({ name: 'counter_inc' }),
        bob.callTool({ name: 'counter_inc' }),
        alice.callTool({ name: 'counter_inc' }),
        alice.callTool({ name: 'note_add', arguments: { text: 'alice-note' } }),
        bob.callTool({ name: 'note_add', arguments: { text: 'bob-note' } }),
      ]);
      assert.deepEqual(calls.slice(0, 3).map(toolText).sort(), ['1', '1', '2']);
      assert.deepEqual(JSON.parse(toolText(await alice.callTool({ name: 'notes_list' }))), ['alice-note']);
      assert.deepEqual(JSON.parse(toolText(await bob.callTool({ name: 'notes_list' }))), ['bob-note']);
      assert.equal(toolText(await alice.callTool({ name: 'counter_inc' })), '3');

      // per user = per token subject: a second client of alice's shares her process (and her state)
      const alice2 = await connectSdk(h.url, await h.token({ sub: 'alice', client_id: 'another-client' }));
      try {
        assert.equal(Number(toolText(await alice2.callTool({ name: 'whoami' }))), pa);
        assert.deepEqual(JSON.parse(toolText(await alice2.callTool({ name: 'notes_list' }))), ['alice-note']);
      } finally {
        await alice2.close();
      }
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('MCP "Runtime Insufficient Scope Errors": tool policy applies as for HTTP upstreams; tools/list filtered (gw.stdio.policy, gw.policy.tools-call)', async () => {
    const reader = await connectSdk(h.url, await h.token({ sub: 'carol', scope: 'notes:read' }));
    try {
      const names = (await reader.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('whoami'));
      assert.ok(!names.includes('write_note'), 'a tool the token may not call is not listed');
      await assert.rejects(reader.callTool({ name: 'write_note', arguments: { text: 'x' } }), /insufficient_scope/);
      const seen = toolText(await reader.callTool({ name: 'stdin_log' }));
      assert.ok(seen.includes('"tools/list"') && !seen.includes('write_note'), 'the refused call never reached the child');
    } finally {
      await reader.close();
    }
  });

  it('MCP [SEC] "Token Passthrough": neither the token nor Authorization reaches the child, on stdin or in its env; env_from secrets do (gw.stdio.no-token-passthrough)', async () => {
    const token = await h.token({ sub: 'dave' });
    const c = await connectSdk(h.url, token);
    try {
      const env = JSON.parse(toolText(await c.callTool({ name: 'env' }))) as Record<string, string>;
      const stdin = toolText(await c.callTool({ name: 'stdin_log' }));
      assert.equal(env.FIXTURE_SECRET, SECRET, 'env_from secret delivered');
      assert.equal(env.FIXTURE_CANCEL_LOG, cancelLog);
      assert.equal(env.PORTCULLIS_STDIO_TEST_SECRET, undefined, 'the gateway environment is not inherited');
      for (const k of Object.keys(env)) assert.ok(!k.startsWith('PORTCULLIS_'), k);
      const dump = JSON.stringify(env) + stdin;
      assert.ok(!dump.includes(token), 'the access token reached the child');
      assert.ok(!dump.includes(token.split('.')[2]!), 'the token signature reached the child');
      assert.doesNotMatch(dump, /authorization|bearer/i);
      assert.match(stdin, /"method":"tools\/call"/, 'stdin_log saw the traffic');
    } finally {
      await c.close();
    }
  });

  it('MCP [stdio]: stdout noise and all stderr stay in the log, never reach the client (gw.stdio.output-contained)', async () => {
    const token = await h.token({ sub: 'erin' });
    const res = await post(token, toolCall('noise', 5, {}));
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.ok(!body.includes(STDERR_MARKER) && !body.includes('FIXTURE-STDOUT-NOISE') && !body.includes('"not"'), body);
    assert.equal((JSON.parse(body) as { id: number }).id, 5);
    const logged = h.log.entries.filter((e) => e.obj.sub === 'erin');
    assert.ok(logged.some((e) => String(e.obj.stderr ?? '').includes(STDERR_MARKER)), 'stderr goes to the log');
    assert.ok(logged.some((e) => e.obj.stdout === STDOUT_NOISE), 'stdout noise goes to the log');
  });

  it('MCP [HTTP]: notifications before the response turn the answer into SSE; a lone response is JSON (gw.stdio.sse)', async () => {
    const token = await h.token({ sub: 'frank' });
    const json = await post(token, toolCall('whoami', 1, {}));
    assert.equal(json.headers.get('content-type'), 'application/json');
    const res = await post(token, { jsonrpc: '2.0', id: 'p1', method: 'tools/call', params: { name: 'progress', arguments: {}, _meta: { progressToken: 'tok-1' } } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = (await res.text()).split('\n\n').filter((e) => e.includes('data:')).map((e) => JSON.parse(e.slice(e.indexOf('data:') + 5)) as Record<string, unknown>);
    assert.deepEqual(events.map((e) => e.method ?? 'response'), ['notifications/progress', 'notifications/progress', 'response']);
    assert.equal(events[2]!.id, 'p1', 'the client’s own id is restored');
  });

  it('MCP [HTTP]: a server-to-client request reaches the client and its answer (a later POST) reaches the same child (gw.stdio.server-requests)', async () => {
    const c = await connectSdk(h.url, await h.token({ sub: 'gina' }), { elicitation: true });
    try {
      c.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ann' } }));
      assert.equal(toolText(await c.callTool({ name: 'ask' })), 'hello Ann');
    } finally {
      await c.close();
    }
  });

  it('a crashed child answers its pending request with a JSON-RPC error, and the next request starts a fresh one (gw.stdio.crash-restart)', async () => {
    const c = await connectSdk(h.url, await h.token({ sub: 'hank' }));
    try {
      const before = Number(toolText(await c.callTool({ name: 'whoami' })));
      assert.equal(toolText(await c.callTool({ name: 'counter_inc' })), '1');
      const started = Date.now();
      await assert.rejects(c.callTool({ name: 'crash' }), (e: Error & { code?: number }) => {
        assert.equal(e.code, -32000, e.message);
        assert.match(e.message, /exited before it answered/);
        return true;
      });
      assert.ok(Date.now() - started < 5000, 'the error came at once, not after a timeout');
      assert.ok(await waitFor(() => !alive(before), 2000) >= 0);
      const after = Number(toolText(await c.callTool({ name: 'whoami' })));
      assert.notEqual(after, before);
      assert.equal(toolText(await c.callTool({ name: 'counter_inc' })), '1', 'a new process, new state');
      // the legacy handshake the client made with the old process is replayed to the new one before anything else
      const firstLine = JSON.parse(toolText(await c.callTool({ name: 'stdin_log' })).split('\n')[0]!) as { method: string; params: { clientInfo: { name: string } } };
      assert.equal(firstLine.method, 'initialize');
      assert.equal(firstLine.params.clientInfo.name, 'stdio-test');
      assert.ok(h.log.entries.some((e) => e.msg === 'stdio server exited' && e.obj.pid === before && e.obj.code === 3));
    } finally {
      await c.close();
    }
  });

  it('MCP "Cancellation": a client disconnect sends notifications/cancelled to the child within 1 s (gw.stdio.cancel-on-disconnect)', async () => {
    const token = await h.token({ sub: 'ivan' });
    await post(token, toolCall('whoami', 1, {})).then((r) => r.text()); // child running
    const ac = new AbortController();
    const pending = post(token, toolCall('slow', 2, { ms: 20_000, tag: 'ivan-1' }), { signal: ac.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    ac.abort();
    await pending;
    const took = await waitFor(() => linesOf(cancelLog).some((l) => l.startsWith('ivan-1 ')), 3000);
    assert.ok(took >= 0, 'the child never saw the cancellation');
    const at = Number(linesOf(cancelLog).find((l) => l.startsWith('ivan-1 '))!.split(' ')[1]);
    assert.ok(at - abortedAt < 1000, `cancelled ${at - abortedAt} ms after the disconnect`);
  });

  it('MCP "Cancellation": the client’s own notifications/cancelled reaches the child with the child-side id (gw.stdio.cancel-on-disconnect)', async () => {
    const token = await h.token({ sub: 'ivan' });
    const call = post(token, toolCall('slow', 'c-1', { ms: 20_000, tag: 'ivan-2' }));
    await new Promise((r) => setTimeout(r, 300));
    const res = await post(token, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c-1', reason: 'user' } });
    assert.equal(res.status, 202);
    assert.ok((await waitFor(() => linesOf(cancelLog).some((l) => l.startsWith('ivan-2 ')), 2000)) >= 0);
    void call.then((r) => r.body?.cancel()).catch(() => {});
  });

  it('body cap, parse errors and methods as for HTTP upstreams (gw.stdio.limits)', async () => {
    const token = await h.token({ sub: 'judy' });
    const big = await fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: 'x'.repeat(5 * 1024 * 1024) });
    assert.equal(big.status, 413);
    const bad = await fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
    const del = await fetch(h.url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(del.status, 405, 'per user there is no session to delete');
    const notif = await post(token, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(notif.status, 202);
    const unauth = await fetch(h.url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(toolCall('whoami')) });
    assert.equal(unauth.status, 401);
  });
});
