/**
 * issue 7 item 4 for stdio upstreams: a child that writes faster than its client reads is held back (the
 * gateway stops reading its stdout while the client's stream is full), so gateway memory stays flat.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startStdioGateway } from './helpers/stdio-harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

describe('issue 7 item 4: stdio streams with backpressure (gw.stdio.backpressure)', () => {
  it('a child flooding 100 MB of notifications to a slow client: gateway memory (heap + buffers) grows < 30 MB, everything arrives (gw.stdio.backpressure)', { timeout: 120_000 }, async (t) => {
    const h = await startStdioGateway();
    try {
      const token = await h.token({ sub: 'flood-user' });
      const body = JSON.stringify({ jsonrpc: '2.0', id: 'f', method: 'tools/call', params: { name: 'flood', arguments: { mb: 100 }, _meta: { progressToken: 'ft' } } });
      gc();
      const live = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers; // buffered bytes live in ArrayBuffers, outside the JS heap
      };
      const baseline = live();
      let peak = baseline;
      const sampler = setInterval(() => {
        gc();
        peak = Math.max(peak, live());
      }, 200);
      let received = 0;
      let text = '';
      await new Promise<void>((resolve, reject) => {
        const req = request(h.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream');
          res.pause();
          setTimeout(() => {
            const pump = (): void => {
              let chunk: Buffer | null;
              let budget = 4;
              while (budget-- > 0 && (chunk = res.read() as Buffer | null) !== null) {
                received += chunk.length;
                text = (text + chunk.toString('latin1')).slice(-4096); // the tail, for the final response
              }
              if (res.readableEnded) return;
              setTimeout(pump, 1);
            };
            res.on('readable', () => undefined);
            res.on('end', () => resolve());
            res.on('error', reject);
            pump();
          }, 1500); // a client that reads nothing for a while, then slowly
        });
        req.on('error', reject);
        req.end(body);
      });
      clearInterval(sampler);
      const growth = (peak - baseline) / MB;
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
