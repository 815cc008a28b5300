/**
 * MCP 2026-07-28: the gateway is the Streamable HTTP server in front of a modern stdio child, so what that transport
 * asks of a server at the HTTP layer — and the stdio binding cannot carry — is the gateway's (src/gateway/stdio/
 * modern.ts, slot.ts): required headers agreeing with the body, the HTTP status of protocol errors, request-scoped
 * notifications only on their request's stream, subscriptions/listen streams routed by subscription id, no
 * server-to-client requests. Against a real child (helpers/stdio-modern-server.ts), some of whose tools misbehave.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Exchange } from '../../src/gateway/stdio/exchange.js';
import type { GatewayHarness } from './helpers/harness.js';
import { startStdioGateway } from './helpers/stdio-harness.js';

const MODERN = fileURLToPath(new URL('./helpers/stdio-modern-server.ts', import.meta.url));
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
type Rpc = { id?: unknown; method?: string; params?: Record<string, unknown> & { _meta?: Record<string, unknown> }; result?: Record<string, unknown>; error?: { code: number } };

/** the headers a 2026-07-28 client sends for `body` ([HTTP] "Request Metadata") */
function headersFor(body: Rpc): Record<string, string> {
  const name = body.method === 'tools/call' || body.method === 'prompts/get' ? body.params?.name : body.method === 'resources/read' ? body.params?.uri : undefined;
  return { 'mcp-protocol-version': '2026-07-28', 'mcp-method': String(body.method), ...(typeof name === 'string' ? { 'mcp-name': name } : {}) };
}
const call = (id: string | number, name: string, args: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Rpc => ({
  id,
  method: 'tools/call',
  params: { name, arguments: args, _meta: { ...META, ...meta } },
});

/** SSE frames of a streaming response, as they arrive */
function frames(res: Response): { next(ms?: number): Promise<Rpc | null>; ended(ms: number): Promise<boolean>; raw: () => string; cancel(): Promise<void> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let all = '';
  let done = false;
  const queue: Rpc[] = [];
  return {
    raw: () => all,
    /** whether the stream ends (the server closed it) within `ms`, with no message left unread */
    async ended(ms) {
      const m = await this.next(ms);
      return m === null && done;
    },
    async next(ms = 2000) {
      const deadline = Date.now() + ms;
      while (queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0 || done) return null;
        const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), left))]);
        if (chunk === null) return null;
        if (chunk.done) {
          done = true;
          return queue.shift() ?? null;
        }
        buf += chunk.value;
        all += chunk.value;
        for (let i; (i = buf.indexOf('\n\n')) !== -1; buf = buf.slice(i + 2)) {
          const data = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
          if (data) queue.push(JSON.parse(data.slice(6)) as Rpc);
        }
      }
      return queue.shift()!;
    },
    cancel: () => reader.cancel(),
  };
}

describe('MCP 2026-07-28 through the gateway to a modern stdio child: the HTTP layer is the gateway’s (gw.stdio.modern)', () => {
  let h: GatewayHarness;
  let token: string;
  const post = (body: Rpc, headers: Record<string, string> = headersFor(body), signal?: AbortSignal) =>
    fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', ...body }),
      ...(signal ? { signal } : {}),
    });
  const json = async (res: Response) => (await res.json()) as Rpc;
  const seen = async () => JSON.parse(((await json(await post(call('seen', 'seen')))).result!.content as { text: string }[])[0]!.text) as { seen: string[]; cancelled: unknown[] };

  before(async () => {
    h = await startStdioGateway({ args: ['--import', 'tsx', MODERN], call_timeout_s: 1 });
    token = await h.token({ sub: 'modern-http-user' });
  });
  after(() => h.close());

  it('MCP 2026-07-28 [HTTP] "Server Validation", [basic] "_meta": missing or disagreeing headers get 400 -32020, a malformed _meta 400 -32602, a batch 400; none reaches the child (gw.stdio.modern.headers)', async () => {
    const ok = call(1, 'echo', { text: 'hi' });
    const { 'mcp-protocol-version': _v, ...noVersion } = headersFor(ok);
    const { 'mcp-method': _m, ...noMethod } = headersFor(ok);
    const cases: [string, Rpc, Record<string, string>, number, number][] = [
      ['no MCP-Protocol-Version', call(2, 'echo', { text: 'no-version' }), noVersion, 400, -32020],
      ['no Mcp-Method', call(3, 'echo', { text: 'no-method' }), noMethod, 400, -32020],
      ['header version ≠ _meta', call(4, 'echo', { text: 'mismatch' }), { ...headersFor(ok), 'mcp-protocol-version': '2099-01-01' }, 400, -32020],
      ['no Mcp-Name on tools/call', call(5, 'echo', { text: 'no-name' }), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' }, 400, -32020],
      ['_meta without clientCapabilities', { id: 6, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }, 400, -32602],
      ['no _meta at all', { id: 7, method: 'tools/list', params: {} }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }, 400, -32602],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const res = await post(body, headers);
      const answer = await json(res);
      assert.equal(res.status, status, what);
      assert.equal(answer.error?.code, code, what);
      assert.equal(answer.id, body.id, `${what}: the error carries the request id`);
    }
    const batch = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, 'mcp-protocol-version': '2026-07-28' },
      body: JSON.stringify([{ jsonrpc: '2.0', ...call(8, 'echo') }, { jsonrpc: '2.0', ...call(9, 'echo') }]),
    });
    assert.equal(batch.status, 400, '[HTTP] "Sending Messages": one message per POST');
    const good = await post(ok);
    assert.equal(good.status, 200);
    assert.match(((await json(good)).result!.content as { text: string }[])[0]!.text, /^hi from \d+$/);
    assert.deepEqual((await seen()).seen.filter((s) => s.startsWith('tools')), ['tools/call echo', 'tools/call seen'], 'only the valid requests reached the child');
  });

  it('MCP 2026-07-28 [HTTP] "Protocol Version Header", [basic] "_meta": the child’s -32601 is 404, -32022 and -32021 are 400; an application error stays 200 (gw.stdio.modern.status)', async () => {
    const unknown = await post({ id: 'u', method: 'ping', params: { _meta: META } });
    assert.deepEqual([unknown.status, (await json(unknown)).error?.code], [404, -32601]);
    const v999 = { 'io.modelcontextprotocol/protocolVersion': 'v999', 'io.modelcontextprotocol/clientCapabilities': {} };
    const version = await post({ id: 'v', method: 'server/discover', params: { _meta: v999 } }, { 'mcp-protocol-version': 'v999', 'mcp-method': 'server/discover' });
    const body = await json(version);
    assert.deepEqual([version.status, body.error?.code, body.id], [400, -32022, 'v']);
    const cap = await post(call('c', 'missing_cap'));
    assert.deepEqual([cap.status, (await json(cap)).error?.code], [400, -32021]);
    const app = await post(call('a', 'bad_state'));
    assert.deepEqual([app.status, (await json(app)).error?.code], [200, -32602], 'an error of the method itself is a 200 JSON-RPC error');
  });

  it('MCP 2026-07-28 [subscriptions], [stdio] "Receiving Messages": a listen stream gets its acknowledgement and its notifications, by subscription id, with the client’s own id; nothing untagged or foreign; no call timeout; closing it cancels it on the child (gw.stdio.modern.listen)', async () => {
    const listen = (id: string) => post({ id, method: 'subscriptions/listen', params: { _meta: META, notifications: { toolsListChanged: true } } });
    const a = await listen('sub-A');
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'text/event-stream');
    assert.equal(a.headers.get('x-accel-buffering'), 'no', '[HTTP] "Receiving Messages": SSE SHOULD carry X-Accel-Buffering: no');
    const fa = frames(a);
    const ack = await fa.next();
    assert.equal(ack?.method, 'notifications/subscriptions/acknowledged', 'the acknowledgement comes first');
    assert.equal(ack?.params?._meta?.['io.modelcontextprotocol/subscriptionId'], 'sub-A', 'the subscription id is the client’s request id');
    const fb = frames(await listen('sub-B'));
    assert.equal((await fb.next())?.params?._meta?.['io.modelcontextprotocol/subscriptionId'], 'sub-B');

    await new Promise((r) => setTimeout(r, 1500)); // past call_timeout_s: a subscription is not a call
    assert.equal((await json(await post(call('t', 'trigger')))).result?.resultType, 'complete');
    for (const [f, id] of [[fa, 'sub-A'], [fb, 'sub-B']] as const) {
      const n = await f.next();
      assert.equal(n?.method, 'notifications/tools/list_changed');
      assert.equal(n?.params?._meta?.['io.modelcontextprotocol/subscriptionId'], id, 'each stream gets only its own subscription’s notifications');
      assert.equal(await f.next(300), null, 'no untagged list_changed, no notification of an unknown subscription');
    }
    assert.doesNotMatch(fa.raw() + fb.raw(), /"id"/, 'no response, so no timeout error, on a listen stream');

    await fa.cancel(); // [HTTP] "Cancellation": closing the stream cancels the request; on stdio that is notifications/cancelled
    let cancelled: unknown[] = [];
    for (let i = 0; i < 40 && cancelled.length === 0; i++) {
      cancelled = (await seen()).cancelled;
      if (cancelled.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(cancelled.length, 1, 'the child was told within 1 s');
    assert.equal(typeof cancelled[0], 'number', 'by the id the child knows, not the client’s');
    await fb.cancel();
  });

  it('MCP 2026-07-28 [subscriptions] "Graceful Closure", [cancellation]: the child ending a subscription ends its stream — with the closing response (subscription id rewritten), or without one when it cancels (gw.stdio.modern.listen-end)', async () => {
    const open = async (id: string) => {
      const f = frames(await post({ id, method: 'subscriptions/listen', params: { _meta: META, notifications: { toolsListChanged: true } } }));
      assert.equal((await f.next())?.method, 'notifications/subscriptions/acknowledged');
      return f;
    };
    const graceful = await open('g-1');
    await post(call('e1', 'end_listens', { graceful: true }));
    const closing = await graceful.next();
    assert.equal(closing?.id, 'g-1');
    assert.equal(closing?.result?.resultType, 'complete');
    assert.equal((closing?.result?._meta as Record<string, unknown>)['io.modelcontextprotocol/subscriptionId'], 'g-1');
    assert.ok(await graceful.ended(1000), 'the stream ended after the closing response');

    const torn = await open('c-1');
    await post(call('e2', 'end_listens', { graceful: false }));
    assert.ok(await torn.ended(1000), 'the stream ended');
    assert.doesNotMatch(torn.raw(), /notifications\/cancelled/, 'on HTTP the stream closing is the signal; the stdio notification is not relayed');
  });

  it('MCP 2026-07-28 [logging] "Per-request log level", [progress]: a log reaches only a request that set a log level, progress only the request with its token; others stay plain JSON (gw.stdio.modern.request-scoped)', async () => {
    // an older request without a log level is in flight when the child logs for a newer one that asked
    const quiet = post(call('q', 'log', { ms: 600 }));
    await new Promise((r) => setTimeout(r, 150));
    const loud = await post(call('l', 'log', { ms: 0 }, { 'io.modelcontextprotocol/logLevel': 'info' }));
    assert.equal(loud.headers.get('content-type'), 'text/event-stream');
    const fl = frames(loud);
    const logs: Rpc[] = [];
    for (let m = await fl.next(); m; m = await fl.next(500)) logs.push(m);
    assert.deepEqual(logs.map((m) => m.method ?? `response ${String(m.id)}`), ['notifications/message', 'response l']);
    assert.equal((logs[0]!.params as { data: string }).data.startsWith('log of'), true);
    const q = await quiet;
    assert.equal(q.headers.get('content-type'), 'application/json', 'no log, so no stream, for the request that set no log level');
    assert.equal((await json(q)).id, 'q');

    const progress = await post(call('p', 'progress', {}, { progressToken: 'tok-1' }));
    const fp = frames(progress);
    const first = await fp.next();
    assert.deepEqual([first?.method, first?.params?.progressToken], ['notifications/progress', 'tok-1']);
    assert.equal((await fp.next())?.id, 'p');
  });

  it('MCP 2026-07-28 [stdio] "The server MUST NOT write JSON-RPC requests": a modern child’s request reaches no client; the child gets -32601 at once (gw.stdio.modern.no-server-requests)', async () => {
    const res = await post(call('ask-1', 'ask'));
    assert.equal(res.headers.get('content-type'), 'application/json', 'nothing was streamed to the client');
    const body = await json(res);
    assert.equal(((body.result?.content as { text: string }[])[0]!).text, 'answered error -32601');
    assert.ok(h.log.entries.some((e) => e.level === 'warn' && /sent a request; refused/.test(e.msg)));
  });

  it('subscriptions/listen without Accept: text/event-stream gets 406, never reaching the child (gw.stdio.modern.listen-accept)', async () => {
    const body = { id: 'n-1', method: 'subscriptions/listen', params: { _meta: META, notifications: { toolsListChanged: true } } };
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...headersFor(body) },
      body: JSON.stringify({ jsonrpc: '2.0', ...body }),
    });
    assert.equal(res.status, 406);
    assert.equal((await json(res)).id, 'n-1');
  });

  it('a listen stream carries a comment line every keep-alive interval while quiet (gw.stdio.modern.listen)', async () => {
    const signal = new AbortController();
    const exchange = new Exchange({ acceptsSse: true, batch: false, expected: 1, signal: signal.signal, onGone: () => {}, keepAliveMs: 40 });
    exchange.relay({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {} });
    const f = frames(await exchange.response);
    assert.equal((await f.next())?.method, 'notifications/subscriptions/acknowledged');
    await new Promise((r) => setTimeout(r, 150));
    await f.next(50);
    assert.ok((f.raw().match(/^: keep-alive$/gm) ?? []).length >= 2, f.raw());
    exchange.end();
    assert.ok(await f.ended(500), 'the keep-alive stops with the stream');
  });
});

describe('issue 7 item 1: with per: session, a 2026-07-28 client (no sessions) still gets one child per user (gw.stdio.modern.per-user)', () => {
  it('modern requests without Mcp-Session-Id share their subject’s child; another subject gets another; a legacy request without a session is still refused (gw.stdio.modern.per-user)', async () => {
    const h = await startStdioGateway({ args: ['--import', 'tsx', MODERN], per: 'session' });
    try {
      const pidFor = async (sub: string, id: number) => {
        const body = call(id, 'echo', { text: 'x' });
        const res = await fetch(h.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await h.token({ sub })}`, ...headersFor(body) },
          body: JSON.stringify({ jsonrpc: '2.0', ...body }),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('mcp-session-id'), null, 'no session minted for a modern client');
        return /from (\d+)$/.exec((((await res.json()) as Rpc).result!.content as { text: string }[])[0]!.text)![1];
      };
      const a1 = await pidFor('ann', 1);
      assert.equal(await pidFor('ann', 2), a1);
      assert.notEqual(await pidFor('bob', 3), a1);
      const legacy = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await h.token({ sub: 'ann' })}`, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list', params: {} }),
      });
      assert.equal(legacy.status, 400);
      assert.ok(h.log.entries.some((e) => e.msg === 'stdio server started' && e.obj.sub === 'ann'), 'logged by subject');
    } finally {
      await h.close();
    }
  });
});
