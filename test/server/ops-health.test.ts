import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/log.js';
import { createMetrics, installOps, peerAllowList, readiness } from '../../src/server/ops/index.js';
import { startUpstream, type Upstream } from '../gateway/helpers/upstream.js';
import { startOps, type OpsHarness } from './ops-harness.js';

let upstream: Upstream;
let h: OpsHarness;
before(async () => {
  upstream = await startUpstream((_req, res) => void res.writeHead(204).end());
  h = await startOps(upstream.url);
});
after(async () => {
  await h.close();
  await upstream.close();
});

const ok = { store: async () => undefined, keys: () => undefined, draining: () => false };

describe('issue 6 "Operations": health and readiness', () => {
  it('issue 6: readyz reflects the store and keys (ops.health)', async () => {
    const live = await h.request('/healthz');
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await h.request('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', checks: { store: 'ok', keys: 'ok' }, failing: [] });

    // the store stops answering: not ready, the failing check named; still alive
    await h.runtime.store.close();
    const down = await h.request('/readyz');
    assert.equal(down.status, 503);
    const body = (await down.json()) as { status: string; failing: string[]; checks: Record<string, string> };
    assert.equal(body.status, 'unavailable');
    assert.deepEqual(body.failing, ['store']);
    assert.equal(body.checks.keys, 'ok');
    assert.equal((await h.request('/healthz')).status, 200);
  });

  it('no active signing key, or a store that hangs, fails readiness naming the check', async () => {
    const noKey = await readiness({ ...ok, keys: () => { throw new Error('KeyRing not initialised'); } });
    assert.deepEqual([noKey.ready, noKey.failing, noKey.checks.keys], [false, ['keys'], 'no active signing key']);
    const hangs = await readiness({ ...ok, store: () => new Promise<void>(() => undefined) });
    assert.deepEqual([hangs.ready, hangs.failing], [false, ['store']]);
    assert.match(hangs.checks.store!, /no answer within/);
  });

  it('during shutdown readyz is 503 first, and responses ask to close the connection', async () => {
    let draining = false;
    const app = new Hono();
    installOps(app, { config: { metrics: { enabled: false, path: '/metrics', allow_from: [] } }, metrics: createMetrics({ defaultMetrics: false }), log: silentLogger(), checks: { ...ok, draining: () => draining } });
    app.get('/x', (c) => c.text('x'));
    assert.equal((await app.request('/readyz')).status, 200);
    draining = true;
    const res = await app.request('/readyz');
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'draining', checks: { shutdown: 'draining' }, failing: ['shutdown'] });
    assert.equal((await app.request('/x')).headers.get('connection'), 'close');
    assert.equal((await app.request('/healthz')).status, 200);
    assert.equal((await app.request('/metrics')).status, 404, 'metrics disabled: no route');
  });
});

describe('issue 6: request ids', () => {
  it('a well-formed x-request-id is echoed; a malformed or missing one is replaced by a generated id', async () => {
    const mine = await h.request('/healthz', { headers: { 'x-request-id': 'lb-7f3a.9_Z-1' } });
    assert.equal(mine.headers.get('x-request-id'), 'lb-7f3a.9_Z-1');
    for (const bad of ['a'.repeat(65), 'has space', 'semi;colon', '']) {
      const res = await h.request('/healthz', { headers: { 'x-request-id': bad } });
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, `replaced: ${JSON.stringify(bad)}`);
    }
    const none = await h.request('/nowhere');
    assert.equal(none.status, 404);
    assert.match(none.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('issue 6: metrics are served only to allowed peers', () => {
  it('loopback peers read Prometheus text; other peers get 404; bad CIDRs fail at start naming the option', async () => {
    const res = await h.request('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), /# TYPE portcullis_http_requests_total counter/);

    const allowed = peerAllowList(['127.0.0.1/32', '::1/128', '10.0.0.0/8']);
    assert.ok(allowed('127.0.0.1'));
    assert.ok(allowed('::ffff:127.0.0.1'), 'IPv4-mapped IPv6 peer');
    assert.ok(allowed('::1'));
    assert.ok(allowed('10.2.3.4'));
    assert.ok(!allowed('192.168.1.1'));
    assert.ok(!allowed('::2'));
    assert.ok(!allowed(undefined));
    assert.ok(!allowed('unknown'));
    assert.throws(() => peerAllowList(['10.0.0.0']), (e: unknown) => e instanceof ConfigError && /metrics\.allow_from/.test(e.message));
  });

  it('a peer outside allow_from gets 404', async () => {
    const other = await startOps(upstream.url, { metrics: { allow_from: ['10.0.0.0/8'] } });
    try {
      const res = await other.request('/metrics');
      assert.equal(res.status, 404);
      assert.doesNotMatch(await res.text(), /portcullis_/);
    } finally {
      await other.close();
    }
  });
});
