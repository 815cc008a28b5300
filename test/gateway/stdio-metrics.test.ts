/**
 * issue 7 (brief item 4a): the stdio children in the Prometheus metrics (src/server/ops/metrics.ts) — how many run
 * now, and how many started, crashed, were stopped idle, were evicted for max_children, were refused (503) or could
 * not be spawned — read from a real runtime Metrics registry while real children go through each of those.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createMetrics } from '../../src/server/ops/metrics.js';
import { startGateway, type GatewayHarness } from './helpers/harness.js';
import { waitFor } from './helpers/stdio-harness.js';

const MODERN = fileURLToPath(new URL('./helpers/stdio-modern-server.ts', import.meta.url));
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

function gateway(metrics: ReturnType<typeof createMetrics>, stdio: Record<string, unknown>): Promise<GatewayHarness> {
  return startGateway({
    upstream: 'http://127.0.0.1:9/unused',
    gateway: { metrics },
    config: { resources: [{ path: '/mcp', name: 'Modern (stdio)', scopes: ['notes:read'], upstream_stdio: { command: process.execPath, args: ['--import', 'tsx', MODERN], ...stdio } }] },
  });
}

async function call(h: GatewayHarness, sub: string, name: string, args: Record<string, unknown> = {}): Promise<number> {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${await h.token({ sub, scope: 'notes:read' })}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, _meta: META } }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** the value of one sample in Prometheus text (0 when absent) */
async function sample(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number> {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('issue 7: stdio children in the Prometheus metrics (gw.stdio.metrics)', () => {
  it('children running, and started / evicted / refused / crashed / idle_stopped / spawn_failed counted by resource (gw.stdio.metrics)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const h = await gateway(metrics, { max_children: 1, idle_timeout_s: 1 });
    const resource = h.resource.id;
    const events = async (event: string) => sample(metrics, 'portcullis_stdio_events_total', { resource, event });
    const running = () => sample(metrics, 'portcullis_stdio_children', { resource });
    try {
      assert.equal(await running(), 0);
      assert.equal(await call(h, 'ann', 'echo'), 200);
      assert.deepEqual([await running(), await events('started')], [1, 1]);
      // max_children 1: bob's child needs ann's idle one gone
      assert.equal(await call(h, 'bob', 'echo'), 200);
      assert.deepEqual([await running(), await events('started'), await events('evicted')], [1, 2, 1]);
      // bob busy: ann is refused
      const busy = call(h, 'bob', 'log', { ms: 800 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await call(h, 'ann', 'echo'), 503);
      assert.equal(await busy, 200);
      assert.equal(await events('refused'), 1);
      // bob's child crashes; then, started again, it is stopped when idle
      assert.equal(await call(h, 'bob', 'crash'), 200);
      assert.ok((await waitFor(() => h.log.entries.some((e) => e.msg === 'stdio server exited'), 3000)) >= 0);
      assert.equal(await events('crashed'), 1);
      assert.equal(await call(h, 'bob', 'echo'), 200);
      assert.ok((await waitFor(() => h.log.entries.some((e) => e.obj.why === 'idle'), 4000)) >= 0, 'an idle stop');
      assert.deepEqual([await events('idle_stopped'), await running(), await events('started')], [1, 0, 3]);
    } finally {
      await h.close();
    }
    const broken = await gateway(metrics, { command: '/nonexistent/portcullis-test-command', args: [] });
    try {
      assert.equal(await call(broken, 'ann', 'echo'), 502);
      assert.equal(await sample(metrics, 'portcullis_stdio_events_total', { resource: broken.resource.id, event: 'spawn_failed' }), 1);
    } finally {
      await broken.close();
    }
  });
});
