/**
 * Issue 9 figure 4: CIMD. 100 concurrent authorization requests for one client_id URL Portcullis has not seen
 * cause exactly one outbound fetch (counted at the loopback https document server, which answers after a
 * delay so that all 100 are in flight together); repeated each round with a new document URL. Then the cost of
 * a cached resolution: `/authorize` requests per second for the (now cached) CIMD client vs a static client,
 * alternated in chunks, and the resolver's own cached-lookup time in process.
 *
 *   node --import tsx bench/cimd.ts            (BENCH_ROUNDS)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { startHttpsStatic, type HttpsStaticServer } from '../test/helpers/https-static.js';
import { makeTestCa } from '../test/helpers/tls.js';
import { pkceS256 } from '../test/helpers/pkce.js';
import { forkChild, freePort, progress, report, runChild, runMain, settleLogs, stat, type BenchChild } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENT = 100;
const DOC_DELAY_MS = 150;
const REDIRECT = 'http://127.0.0.1:53111/callback';
const STATIC_ID = 'bench-static';

type Ready = { type: 'ready'; base: string; resource: string };

async function childPortcullis(): Promise<void> {
  const { configSchema } = await import('../src/config/schema.js');
  const { startRuntime } = await import('../src/server/runtime.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-cimd-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  process.on('disconnect', () => process.exit(0));
  const port = await freePort();
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    dev: true, // loopback CIMD hosts (CIMD §6.5 loopback exception, dev only)
    data_dir: dataDir,
    rate_limits: { enabled: false },
    resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:9/mcp', name: 'Bench', scopes: ['notes:read'] }],
    clients: [{ client_id: STATIC_ID, client_name: 'Static', redirect_uris: [REDIRECT] }],
  });
  const runtime = await startRuntime(config);
  process.send!({ type: 'ready', base: runtime.listenUrl, resource: runtime.settings.resources[0]!.id } satisfies Ready);
}

function authorizePath(clientId: string, resource: string): string {
  const p = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkceS256().challenge, code_challenge_method: 'S256', state: 's', scope: 'notes:read', resource });
  return `/authorize?${p.toString()}`;
}

async function authorizeOnce(client: Client, path: string): Promise<number> {
  const res = await client.request({ path, method: 'GET' });
  await res.body.text();
  return res.statusCode;
}

/** authorize requests per second, `connections` at a time, for `ms` */
async function authorizeRate(base: string, path: string, connections: number, ms: number): Promise<number> {
  const clients = Array.from({ length: connections }, () => new Client(base, { pipelining: 1 }));
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() - t0 < ms) {
        const status = await authorizeOnce(c, path);
        if (status >= 400) throw new Error(`authorize answered ${status}`);
        n++;
      }
    }),
  );
  const rate = n / ((performance.now() - t0) / 1000);
  await Promise.all(clients.map((c) => c.close()));
  return rate;
}

async function cachedResolverCost(https: HttpsStaticServer, caPem: string, docPath: string, clientId: string): Promise<number> {
  const { configSchema } = await import('../src/config/schema.js');
  const { createClientResolver } = await import('../src/as/clients/index.js');
  const config = configSchema.parse({ issuer: 'http://127.0.0.1:1', dev: true, resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:9/mcp', scopes: ['notes:read'] }] });
  const resolver = createClientResolver(config, { dev: true, ca: [caPem], log: () => undefined });
  const before = https.requests.filter((p) => p === docPath).length;
  await resolver.resolve(clientId);
  const N = 50_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await resolver.resolve(clientId);
  const us = ((performance.now() - t0) * 1000) / N;
  if (https.requests.filter((p) => p === docPath).length !== before + 1) throw new Error('cached resolution fetched again');
  return us;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-cimd-ca-'));
  const ca = makeTestCa(['localhost', '127.0.0.1', '::1']);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.caPem);
  const https = await startHttpsStatic(ca);
  const logFile = join(dir, 'portcullis.log');
  let child: BenchChild<Ready> | undefined;
  let ok = false;
  try {
    child = await forkChild<Ready>({
      role: 'portcullis',
      script: fileURLToPath(import.meta.url),
      args: ['--child'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      logFile,
      timeoutMs: 60_000,
    });
    const { ready } = child;

    const fetchCounts: number[] = [];
    const coldMs: number[] = [];
    const ratios: number[] = [];
    const cimdRates: number[] = [];
    const staticRates: number[] = [];
    const resolveUs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const docPath = `/clients/bench-${i}.json`;
      const clientId = https.url(docPath);
      https.route(docPath, (_req, res) => {
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(JSON.stringify({ client_id: clientId, client_name: `Bench ${i}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })), DOC_DELAY_MS);
      });
      // 100 concurrent first requests, each on its own connection
      const clients = Array.from({ length: CONCURRENT }, () => new Client(ready.base, { pipelining: 1 }));
      const t0 = performance.now();
      const statuses = await Promise.all(clients.map((c) => authorizeOnce(c, authorizePath(clientId, ready.resource))));
      coldMs.push(performance.now() - t0);
      await Promise.all(clients.map((c) => c.close()));
      const bad = statuses.filter((s) => s >= 400);
      if (bad.length > 0) throw new Error(`authorize refused the CIMD client: ${bad.slice(0, 5).join(', ')} (log: ${logFile})`);
      const fetches = https.requests.filter((p) => p === docPath).length;
      fetchCounts.push(fetches);
      if (fetches !== 1) throw new Error(`${fetches} outbound fetches for ${CONCURRENT} concurrent requests (want exactly 1)`);

      // cached: the CIMD client vs a static one, alternating 500 ms chunks
      let cimdN = 0;
      let staticN = 0;
      for (let k = 0; k < 4; k++) {
        const first = (k + i) % 2 === 0;
        const a = await authorizeRate(ready.base, authorizePath(first ? clientId : STATIC_ID, ready.resource), 8, 500);
        const b = await authorizeRate(ready.base, authorizePath(first ? STATIC_ID : clientId, ready.resource), 8, 500);
        cimdN += first ? a : b;
        staticN += first ? b : a;
      }
      cimdRates.push(cimdN / 4);
      staticRates.push(staticN / 4);
      ratios.push(cimdN / staticN);
      if (https.requests.filter((p) => p === docPath).length !== fetches) throw new Error('a cached client was fetched again');
      resolveUs.push(await cachedResolverCost(https, ca.caPem, docPath, clientId));
      progress(`round ${i + 1}: ${fetches} fetch for ${CONCURRENT} concurrent requests (${coldMs[i]!.toFixed(0)} ms); cached /authorize CIMD ${cimdRates[i]!.toFixed(0)}/s vs static ${staticRates[i]!.toFixed(0)}/s; resolver hit ${resolveUs[i]!.toFixed(2)} µs`);
    }
    report({
      figure: 'cimd',
      metrics: [
        // the median is the figure; every round is checked above (none may differ from 1)
        { name: `outbound fetches for ${CONCURRENT} concurrent requests, one new client`, unit: '', stat: stat(fetchCounts), goal: { op: '<=', value: 1, text: '= 1 (every round)' } },
        { name: `${CONCURRENT} concurrent first requests, all answered`, unit: 'ms', stat: stat(coldMs) },
        { name: 'cached CIMD client /authorize rate vs static client', unit: '', stat: stat(ratios) },
        { name: 'cached CIMD client /authorize', unit: 'req/s', stat: stat(cimdRates) },
        { name: 'static client /authorize', unit: 'req/s', stat: stat(staticRates) },
        { name: 'cached resolution in the resolver', unit: 'µs', stat: stat(resolveUs) },
      ],
      notes: [`${ROUNDS} rounds, a new document URL each; the document server answers after ${DOC_DELAY_MS} ms; cached rates: 8 connections, 4 × 500 ms per side, alternated`],
    });
    ok = true;
  } finally {
    child?.proc.kill();
    await https.close();
    settleLogs(dir, ok);
  }
}

if (process.argv[2] === '--child') runChild(childPortcullis());
else runMain(main);
