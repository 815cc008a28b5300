import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { MCP_HEADERS, startGateway, toolCall, type GatewayHarness } from './helpers/harness.js';
import { rawRequest } from './helpers/raw.js';
import { startUpstream, type Upstream, type UpstreamHandler } from './helpers/upstream.js';

let behave: UpstreamHandler = (_req, res) => void res.writeHead(500).end();
let upstream: Upstream;
let h: GatewayHarness;
let token: string;
before(async () => {
  upstream = await startUpstream((req, res, body) => behave(req, res, body));
  h = await startGateway({ upstream: upstream.url });
  token = await h.token();
});
after(async () => {
  await h.close();
  await upstream.close();
});

const auth = () => ({ ...MCP_HEADERS, authorization: `Bearer ${token}` });
const deferred = <T = void>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};
const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

describe('MCP [HTTP] Streamable HTTP: responses streamed without buffering (gw.proxy.streaming)', () => {
  it('an SSE event reaches the client before the upstream sends the next one (gw.proxy.sse-unbuffered)', async () => {
    const firstSeen = deferred();
    let firstSeenAt = Infinity;
    let secondSentAt = -Infinity;
    let waitedForClient = false;
    behave = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"n":1}}\n\n');
      // Hold the second event until the client has the first (or give up after 3 s, which fails the test below).
      waitedForClient = await Promise.race([firstSeen.promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      secondSentAt = performance.now();
      res.end('event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"n":2}}\n\n');
    };
    const res = await fetch(h.url, { method: 'POST', headers: auth(), body: JSON.stringify(toolCall('echo')) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      if (firstSeenAt === Infinity && text.includes('"n":1')) {
        firstSeenAt = performance.now();
        firstSeen.resolve();
      }
    }
    assert.ok(waitedForClient, 'the first event did not reach the client while the upstream held the second');
    assert.ok(firstSeenAt < secondSentAt);
    assert.match(text, /"n":2/);
  });

  it('a client disconnect aborts the upstream request (gw.proxy.abort-propagates)', async () => {
    const upstreamClosed = deferred();
    behave = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      res.on('close', () => upstreamClosed.resolve());
    };
    const ac = new AbortController();
    const res = await fetch(h.url, { method: 'GET', headers: { ...auth(), accept: 'text/event-stream' }, signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await within(upstreamClosed.promise, 3000, 'upstream request closed after the client left');
  });

  it('JSON, 202 and 204 responses pass through with their status; the query string is kept', async () => {
    behave = (req, res) => {
      if (req.url!.includes('s=202')) return void res.writeHead(202).end();
      if (req.url!.includes('s=204')) return void res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":7,"result":{}}');
    };
    const json = await fetch(`${h.url}?s=200`, { method: 'POST', headers: auth(), body: JSON.stringify(toolCall('echo')) });
    assert.equal(json.status, 200);
    assert.deepEqual(await json.json(), { jsonrpc: '2.0', id: 7, result: {} });
    assert.equal(upstream.seen.at(-1)!.url, '/mcp?s=200');
    for (const s of [202, 204]) {
      const r = await fetch(`${h.url}?s=${s}`, { method: 'POST', headers: auth(), body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
      assert.equal(r.status, s);
      assert.equal(await r.text(), '');
    }
  });
});

describe('RFC 9110 §7.6.1 hop-by-hop fields and gateway-owned fields (gw.proxy.headers)', () => {
  it('request: hop-by-hop, Connection-named, Authorization, Cookie and spoofed forwarding fields are dropped', async () => {
    behave = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    await rawRequest(h.url, 'POST', [
      ['authorization', `Bearer ${token}`],
      ['content-type', 'application/json'],
      ['connection', 'keep-alive, x-hop'],
      ['x-hop', '1'],
      ['keep-alive', 'timeout=5'],
      ['proxy-authorization', 'Basic eA=='],
      ['cookie', '__Host-portcullis=session'],
      ['x-forwarded-for', '6.6.6.6'],
      ['forwarded', 'for=6.6.6.6'],
      ['mcp-protocol-version', '2025-11-25'],
      ['x-custom', 'kept'],
    ], '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const seen = upstream.seen.at(-1)!.headers;
    for (const name of ['authorization', 'x-hop', 'keep-alive', 'proxy-authorization', 'cookie', 'forwarded']) {
      assert.equal(seen[name], undefined, name);
    }
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-custom'], 'kept');
    assert.equal(seen['mcp-protocol-version'], '2025-11-25');
    assert.equal(upstream.seen.at(-1)!.body, '{"jsonrpc":"2.0","id":1,"method":"ping"}', 'body forwarded byte for byte');
  });

  it('response: hop-by-hop, Connection-named, Set-Cookie and upstream CORS fields are dropped', async () => {
    behave = (_req, res) => {
      res.setHeader('connection', 'x-up-hop');
      res.setHeader('x-up-hop', '1');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('set-cookie', ['__Host-portcullis=fixated; Path=/; Secure']);
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('x-up-custom', 'kept');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    const res = await rawRequest(h.url, 'POST', [['authorization', `Bearer ${token}`], ['content-type', 'application/json']], '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    assert.equal(res.status, 200);
    for (const name of ['x-up-hop', 'proxy-authenticate', 'set-cookie', 'access-control-allow-origin']) {
      assert.equal(res.headers[name], undefined, name);
    }
    assert.equal(res.headers['x-up-custom'], 'kept');
  });
});

describe('upstream failures (gw.proxy.upstream-down)', () => {
  it('unreachable upstream → 502 JSON-RPC error with the request id, no stack trace', async () => {
    const dead = await startUpstream(() => undefined);
    await dead.close(); // its port is now closed
    const g = await startGateway({ upstream: dead.url });
    try {
      const res = await fetch(g.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${await g.token()}` }, body: JSON.stringify(toolCall('echo', 'req-9')) });
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const text = await res.text();
      assert.doesNotMatch(text, /\bat \S+ \(|ECONNREFUSED|127\.0\.0\.1/);
      const body = JSON.parse(text);
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, 'req-9');
      assert.equal(typeof body.error.message, 'string');
      assert.equal(g.log.entries.at(-1)?.msg, 'upstream unreachable');
    } finally {
      await g.close();
    }
  });
});
