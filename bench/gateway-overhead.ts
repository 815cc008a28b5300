/**
 * Issue 9 figure 1: gateway overhead. MCP `tools/call` through Portcullis (startRuntime, real verifier, a JWT
 * signed by its own key ring) vs the same SDK upstream behind a bare undici reverse proxy, same closed-loop
 * load, rounds alternated A/B/A/B… Each server runs in its own child process so its CPU time is attributable.
 *
 * BENCH_BASE_DIR (another checkout of this repo, e.g. the last commit, with its own bench/gateway-overhead.ts)
 * adds that checkout's gateway as a third side in the same alternation: the "before" column.
 *
 *   node --import tsx bench/gateway-overhead.ts            (BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_WARMUP_MS, BENCH_BASE_DIR)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { Agent, request } from 'undici';
import { statelessMcp } from '../test/gateway/helpers/upstream.js';
import { forkChild, freePort, load, percentile, progress, report, runChild, runMain, serveCpuIpc, settleLogs, stat, type BenchChild, type LoadResult } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
// the gateway's first rounds after a 2 s warm-up still ran 10–20 % above its steady CPU per request (more code to
// optimise than the bare proxy's): 5 s per side before the rounds that count
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 5000);
const LOG_DIR = process.argv[2] === '--child' ? '' : mkdtempSync(join(tmpdir(), 'portcullis-bench-logs-'));

type Ready = { type: 'ready'; url: string; token?: string };

// ---------------------------------------------------------------- children

async function childUpstream(): Promise<void> {
  const handler = statelessMcp('json');
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      await handler(req, res, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` } satisfies Ready);
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/** The baseline: a bare reverse proxy with undici, no auth, no inspection. */
async function childBare(upstreamUrl: string): Promise<void> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAliveTimeout: 10_000, headersTimeout: 300_000, bodyTimeout: 0 });
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    try {
      const q = req.url?.indexOf('?') ?? -1;
      const up = await request(upstream.origin + upstream.pathname + (q >= 0 ? req.url!.slice(q) : ''), {
        method: req.method as 'POST',
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
        dispatcher: agent,
      });
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode, out);
      await pipeline(up.body, res);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` } satisfies Ready);
}

/** Portcullis as `serve` runs it (store, key ring, audit, metrics, app), plus a token minted with its signing key. */
async function childPortcullis(upstreamUrl: string): Promise<void> {
  const { configSchema } = await import('../src/config/schema.js');
  const { startRuntime } = await import('../src/server/runtime.js');
  const { KeyRing } = await import('../src/as/keys.js');
  const { loadMasterSecret } = await import('../src/core/secret.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const port = await freePort();
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    dev: true,
    data_dir: dataDir,
    resources: [{ path: '/mcp', upstream: upstreamUrl, name: 'Bench', scopes: ['notes:read', 'notes:write'], tools: { echo: 'notes:read', write_note: 'notes:write' } }],
  });
  const runtime = await startRuntime(config);
  const keys = new KeyRing(runtime.store, loadMasterSecret(dataDir, process.env).key, Date.now);
  await keys.init();
  const signing = keys.signingKey();
  const resource = runtime.settings.resources[0]!;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    iss: runtime.settings.issuer,
    aud: resource.id,
    sub: 'bench-user',
    client_id: 'bench-client',
    iat: now,
    exp: now + 3600,
    jti: crypto.randomUUID(),
    scope: 'notes:read',
    grant_id: 'bench-grant',
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signing.kid })
    .sign(signing.privateKey);
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  process.send!({ type: 'ready', url: resource.id, token } satisfies Ready);
}

// ---------------------------------------------------------------- coordinator

type Child = BenchChild<Ready>;

async function spawnChild(role: string, arg?: string, prof = false, script = fileURLToPath(import.meta.url)): Promise<Child> {
  const execArgv = ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR ?? 'bench/.prof'}`] : [])];
  // a child's logs (Portcullis logs every request at info, as in production) go to a file, not the terminal
  const logFile = join(LOG_DIR, `${role}${script === fileURLToPath(import.meta.url) ? '' : '-base'}.log`);
  return forkChild<Ready>({ role, script, args: ['--child', role, ...(arg ? [arg] : [])], execArgv, logFile, timeoutMs: 30_000 });
}

const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } });
const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

interface Round {
  load: LoadResult;
  /** serving process CPU, µs per request */
  cpuPerReq: number;
  /** upstream CPU, µs per request */
  upstreamCpuPerReq: number;
}

async function round(target: Child, upstream: Child, headers: Record<string, string>, ms: number): Promise<Round> {
  const [c0, u0] = await Promise.all([target.cpu(), upstream.cpu()]);
  const r = await load({ url: target.ready.url, connections: CONNECTIONS, durationMs: ms, headers, body: BODY });
  const [c1, u1] = await Promise.all([target.cpu(), upstream.cpu()]);
  if (r.errors > 0 || r.badStatus > 0) throw new Error(`round had ${r.errors} errors and ${r.badStatus} non-2xx responses`);
  return { load: r, cpuPerReq: (c1 - c0) / r.requests, upstreamCpuPerReq: (u1 - u0) / r.requests };
}

async function main(): Promise<void> {
  const prof = process.env.BENCH_PROF === '1';
  const upstream = await spawnChild('upstream');
  const bare = await spawnChild('bare', upstream.ready.url);
  const gw = await spawnChild('portcullis', upstream.ready.url, prof);
  const gwHeaders = { ...BASE_HEADERS, authorization: `Bearer ${gw.ready.token!}` };
  const baseDir = process.env.BENCH_BASE_DIR;
  const base = baseDir ? await spawnChild('portcullis', upstream.ready.url, false, join(baseDir, 'bench', 'gateway-overhead.ts')) : undefined;
  const baseHeaders = base ? { ...BASE_HEADERS, authorization: `Bearer ${base.ready.token!}` } : {};
  let ok = false;
  try {
    // sanity: the gateway answers the tool call (and refuses without the token)
    const probe = await fetch(gw.ready.url, { method: 'POST', headers: gwHeaders, body: BODY });
    const text = await probe.text();
    if (probe.status !== 200 || !text.includes('hello')) throw new Error(`gateway probe: ${probe.status} ${text.slice(0, 200)}`);
    const denied = await fetch(gw.ready.url, { method: 'POST', headers: BASE_HEADERS, body: BODY });
    await denied.text();
    if (denied.status !== 401) throw new Error(`gateway without token answered ${denied.status}`);

    progress(`warm-up ${WARMUP_MS} ms each`);
    await round(bare, upstream, BASE_HEADERS, WARMUP_MS);
    await round(gw, upstream, gwHeaders, WARMUP_MS);
    if (base) await round(base, upstream, baseHeaders, WARMUP_MS);

    const A: Round[] = [];
    const B: Round[] = [];
    const C: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // alternate which side goes first, so drift (thermal, GC, sqlite growth) hits both
      const sides = base ? (['gw', 'bare', 'base'] as const) : (['gw', 'bare'] as const);
      const order = sides.map((_, k) => sides[(k + i) % sides.length]!);
      for (const side of order) {
        const r = side === 'gw' ? await round(gw, upstream, gwHeaders, SECONDS * 1000) : side === 'base' ? await round(base!, upstream, baseHeaders, SECONDS * 1000) : await round(bare, upstream, BASE_HEADERS, SECONDS * 1000);
        (side === 'gw' ? A : side === 'base' ? C : B).push(r);
        progress(`round ${i + 1} ${side.padEnd(4)} ${r.load.rps.toFixed(0)} req/s, ${r.cpuPerReq.toFixed(0)} µs CPU/req (upstream ${r.upstreamCpuPerReq.toFixed(0)}), p99 ${percentile(r.load.latencies, 99).toFixed(1)} ms`);
      }
    }
    const rpsRatio = A.map((a, i) => a.load.rps / B[i]!.load.rps);
    const cpuRatio = A.map((a, i) => a.cpuPerReq / B[i]!.cpuPerReq);
    report({
      figure: 'gateway-overhead',
      metrics: [
        { name: 'throughput ratio (portcullis / bare proxy)', unit: '', stat: stat(rpsRatio), goal: { op: '>=', value: 0.85, text: '≥ 0.85' } },
        { name: 'CPU per request ratio (portcullis / bare proxy)', unit: '', stat: stat(cpuRatio), goal: { op: '<=', value: 1.25, text: '≤ 1.25' } },
        { name: 'portcullis throughput', unit: 'req/s', stat: stat(A.map((r) => r.load.rps)) },
        { name: 'bare proxy throughput', unit: 'req/s', stat: stat(B.map((r) => r.load.rps)) },
        { name: 'portcullis CPU per request', unit: 'µs', stat: stat(A.map((r) => r.cpuPerReq)) },
        { name: 'bare proxy CPU per request', unit: 'µs', stat: stat(B.map((r) => r.cpuPerReq)) },
        { name: 'upstream CPU per request', unit: 'µs', stat: stat([...A, ...B].map((r) => r.upstreamCpuPerReq)) },
        { name: 'portcullis p99', unit: 'ms', stat: stat(A.map((r) => percentile(r.load.latencies, 99))) },
        { name: 'bare proxy p99', unit: 'ms', stat: stat(B.map((r) => percentile(r.load.latencies, 99))) },
        ...(base
          ? [
              { name: 'before (base): throughput ratio', unit: '', stat: stat(C.map((c, i) => c.load.rps / B[i]!.load.rps)) },
              { name: 'before (base): CPU per request ratio', unit: '', stat: stat(C.map((c, i) => c.cpuPerReq / B[i]!.cpuPerReq)) },
              { name: 'before (base): CPU per request', unit: 'µs', stat: stat(C.map((r) => r.cpuPerReq)) },
            ]
          : []),
      ],
      notes: [`${ROUNDS} rounds × ${SECONDS} s per side, ${CONNECTIONS} connections, alternated; load generator, gateway/proxy and upstream share this machine's CPUs${baseDir ? `; before (base) = the gateway of ${baseDir}, a third side in the same alternation` : ''}`],
    });
    ok = true;
  } finally {
    for (const c of [gw, bare, upstream, ...(base ? [base] : [])]) c.stop();
    settleLogs(LOG_DIR, ok);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  serveCpuIpc();
  const role = argv[1];
  runChild(role === 'upstream' ? childUpstream() : role === 'bare' ? childBare(argv[2]!) : role === 'portcullis' ? childPortcullis(argv[2]!) : Promise.reject(new Error(`unknown role ${role}`)));
} else {
  runMain(main);
}
