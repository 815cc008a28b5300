/**
 * issue 7 item 4 for stdio upstreams: a child that writes faster than its client reads is held back (the
 * gateway stops reading its stdout while the client's stream is full), so gateway memory stays flat.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MB, readSlowly, sampleMemory } from './helpers/slow-client.js';
import { startStdioGateway } from './helpers/stdio-harness.js';

describe('issue 7 item 4: stdio streams with backpressure (gw.stdio.backpressure)', () => {
  it('a child flooding 100 MB of notifications to a slow client: gateway memory (heap + buffers) grows < 30 MB, everything arrives (gw.stdio.backpressure)', { timeout: 120_000 }, async (t) => {
    const h = await startStdioGateway();
    try {
      const token = await h.token({ sub: 'flood-user' });
      const body = JSON.stringify({ jsonrpc: '2.0', id: 'f', method: 'tools/call', params: { name: 'flood', arguments: { mb: 100 }, _meta: { progressToken: 'ft' } } });
      // heap + ArrayBuffers: buffered bytes live outside the JS heap
      const memory = sampleMemory();
      let received = 0;
      let text = '';
      await new Promise<void>((resolve, reject) => {
        const req = request(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream');
          // a client that reads nothing for a while, then slowly
          readSlowly(res, (chunk) => {
            received += chunk.length;
            text = (text + chunk.toString('latin1')).slice(-4096); // the tail, for the final response
          }).then(resolve, reject);
        });
        req.on('error', reject);
        req.end(body);
      });
      const growth = memory.stop().totalMb;
      t.diagnostic(`heap + buffers +${growth.toFixed(1)} MB while ${(received / MB).toFixed(0)} MB streamed`);
      assert.ok(received > 100 * MB, `received ${received}`);
      assert.match(text, /"id":"f"/);
      assert.match(text, /flooded 1600/);
      assert.ok(growth < 30, `heap + buffers grew ${growth.toFixed(1)} MB`);
    } finally {
      await h.close();
    }
  });
});
