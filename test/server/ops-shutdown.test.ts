import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MCP_HEADERS, toolCall } from '../gateway/helpers/harness.js';
import { startUpstream, type Upstream } from '../gateway/helpers/upstream.js';
import { spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { freePort, withTimeout } from '../helpers/ports.js';
import { ccToken, startOps } from './ops-harness.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/** an upstream whose SSE answer sends one event, then holds the stream open until `release` */
async function slowSseUpstream(): Promise<{ upstream: Upstream; release: () => void }> {
  const gate = deferred();
  const upstream = await startUpstream(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"n":1}}\n\n');
    await gate.promise;
    res.end('event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"done":true}}\n\n');
  });
  cleanup.push(() => upstream.close());
  return { upstream, release: gate.resolve };
}

/** opens the tool call's SSE stream and resolves once the first event is in; `rest` is everything after */
async function openStream(url: string, token: string): Promise<{ rest: Promise<string> }> {
  const res = await fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(toolCall('echo')) });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('"n":1')) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended early: ${text}`);
    text += value;
  }
  const rest = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  rest.catch(() => undefined); // handled by whoever awaits it
  return { rest };
}

/** a request on a new connection (no keep-alive pool): resolves with the status, or the connection error code */
function freshRequest(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('issue 6 "Operations": graceful shutdown', () => {
  it('issue 6: SIGTERM drains in-flight streams (ops.shutdown.drain)', async () => {
    const { upstream, release } = await slowSseUpstream();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-drain-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'portcullis.yaml');
    writeFileSync(configFile, stringify({
      issuer: `http://127.0.0.1:${port}`,
      port,
      dev: true,
      data_dir: join(dir, 'data'),
      shutdown_grace_s: 8,
      resources: [{ path: '/mcp', upstream: upstream.url, scopes: ['notes:read'] }],
      clients: [{ client_id: 'ops-cc', token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_OPS_CC_SECRET', grant_types: ['client_credentials'] }],
    }));
    const p: PortcullisProcess = await spawnPortcullis({
      args: ['serve', '--config', configFile],
      env: { PORTCULLIS_SECRET: 's'.repeat(43), TEST_OPS_CC_SECRET: 'ops-cc-secret-do-not-log-4f1d', PORTCULLIS_LOG_LEVEL: 'info' },
    });
    cleanup.push(() => p.kill());
    const base = `http://127.0.0.1:${port}`;
    const token = await ccToken({ request: (u, init) => fetch(new URL(u, base), init) }, 'notes:read', `${base}/mcp`);
    assert.equal(await freshRequest(`${base}/readyz`), 200);

    const stream = await openStream(`${base}/mcp`, token);
    const exited = p.stop('SIGTERM', 15_000);
    // new connections are refused while the stream drains
    const refused = await withTimeout(
      (async () => {
        for (;;) {
          const r = await freshRequest(`${base}/healthz`);
          if (r === 'ECONNREFUSED') return r;
          await new Promise((res) => setTimeout(res, 50));
        }
      })(),
      5000,
      'new connections still accepted after SIGTERM',
    );
    assert.equal(refused, 'ECONNREFUSED');
    assert.equal(p.proc.exitCode, null, 'still running: draining the open stream');

    // the upstream finishes within the grace: the client gets the whole stream, then the process exits cleanly
    release();
    const text = await withTimeout(stream.rest, 5000, 'stream completed');
    assert.match(text, /"done":true/);
    assert.equal(await exited, 0);
    assert.match(p.stderr(), /"msg":"drained"/);
  });

  it('a stream that outlives the grace is cut when the grace ends; new connections are refused', async () => {
    const { upstream, release } = await slowSseUpstream();
    const h = await startOps(upstream.url);
    cleanup.push(() => h.close());
    const token = await ccToken(h);
    const stream = await openStream(`${h.runtime.listenUrl}/mcp`, token);
    const result = await h.runtime.shutdown(300);
    assert.equal(result.drained, false);
    assert.equal(result.remaining, 1);
    assert.ok(result.ms >= 250 && result.ms < 3000, `took ${result.ms} ms`);
    await assert.rejects(withTimeout(stream.rest, 3000, 'stream cut'), (e: Error) => !/timed out|after 3000/.test(e.message));
    release();
    assert.equal(await freshRequest(`${h.runtime.listenUrl}/healthz`), 'ECONNREFUSED');
  });
});
