/**
 * issue 7 item 4 "Streaming done right", as "How it is shown" asks: gateway memory stays flat while a slow client
 * holds a large SSE stream (200 MB through the gateway, read slowly), and a client disconnect cancels the
 * upstream request within 1 s. The upstream honours backpressure (waits for 'drain'), so whatever the gateway
 * buffered would show in the heap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MCP_HEADERS, startGateway, type GatewayHarness } from './helpers/harness.js';
import { MB, readSlowly, sampleMemory } from './helpers/slow-client.js';
import { startUpstream, type Upstream, type UpstreamHandler } from './helpers/upstream.js';

const TOTAL = 200 * MB;

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

describe('issue 7 item 4: streaming with backpressure and cancellation (gw.proxy.streaming)', () => {
  it('gateway memory stays flat (heap < 30 MB, heap + buffers < 64 MB growth) while a slow client reads a 200 MB SSE stream (gw.proxy.memory-flat)', { timeout: 120_000 }, async (t) => {
    let produced = 0;
    behave = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const payload = 'x'.repeat(64 * 1024 - 64);
      let n = 0;
      while (produced < TOTAL && !res.destroyed) {
        const event = `event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"n":${n++},"d":"${payload}"}}\n\n`;
        produced += Buffer.byteLength(event);
        if (!res.write(event)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    };
    // heap, heap + ArrayBuffers (buffered bytes live outside the JS heap) and RSS; upstream and client share this process
    const memory = sampleMemory();

    let received = 0;
    let producedDuringStall = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request(h.url, { method: 'GET', headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, 'content-type': MCP_HEADERS['content-type'] } }, (res) => {
        assert.equal(res.statusCode, 200);
        // stall 1.5 s without reading: an unbuffered gateway stops pulling, so the upstream stops producing; then read slowly
        readSlowly(res, (chunk) => (received += chunk.length), { onStallEnd: () => (producedDuringStall = produced) }).then(resolve, reject);
      });
      req.on('error', reject);
      req.end();
    });
    const { heapMb: growthMb, totalMb, rssMb } = memory.stop();
    t.diagnostic(`heap +${growthMb.toFixed(1)} MB, heap + buffers +${totalMb.toFixed(1)} MB, rss +${rssMb.toFixed(1)} MB, upstream produced ${(producedDuringStall / MB).toFixed(1)} MB during the 1.5 s stall`);
    assert.ok(received >= TOTAL, `received ${received} bytes`);
    assert.ok(producedDuringStall < 16 * MB, `the upstream produced ${(producedDuringStall / MB).toFixed(1)} MB while the client read nothing: buffered somewhere`);
    assert.ok(growthMb < 30, `heap grew ${growthMb.toFixed(1)} MB while streaming 200 MB`);
    // a gateway that buffered would hold up to the 200 MB here; in-flight socket chunks of all three parties make
    // short spikes of some 10–30 MB
    assert.ok(totalMb < 64, `heap + buffers grew ${totalMb.toFixed(1)} MB while streaming 200 MB`);
    // RSS includes allocator slack and is reported, bounded loosely
    assert.ok(rssMb < 120, `rss grew ${rssMb.toFixed(1)} MB`);
  });

  it('a client disconnect cancels the upstream request within 1 s (gw.proxy.abort-propagates)', async () => {
    for (const method of ['GET', 'POST'] as const) {
      let closedAt = 0;
      let opened!: () => void;
      const open = new Promise<void>((r) => (opened = r));
      behave = (req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': open\n\n');
        res.on('close', () => (closedAt = Date.now()));
        opened();
      };
      const ac = new AbortController();
      const init: RequestInit = { method, headers: { ...MCP_HEADERS, accept: 'text/event-stream', authorization: `Bearer ${token}` }, signal: ac.signal };
      if (method === 'POST') init.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {} } });
      const res = await fetch(h.url, init);
      await res.body!.getReader().read();
      await open;
      const abortedAt = Date.now();
      ac.abort();
      const started = Date.now();
      while (closedAt === 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10));
      assert.ok(closedAt > 0, `${method}: the upstream request was never closed`);
      assert.ok(closedAt - abortedAt < 1000, `${method}: closed ${closedAt - abortedAt} ms after the disconnect`);
    }
  });
});
