/**
 * Issue 9 figure 5: footprint. `node bin/portcullis.js serve --demo` (the built dist/, so run `npm run build`
 * first), timed from spawn to the "Portcullis is ready." banner, then RSS after 2 s idle (/proc/<pid>/status
 * VmRSS). Each round starts on a fresh data dir (first start: migrations, key generation, demo user) and then
 * restarts on the same dir (the everyday start). The child's CPU time until ready (utime + stime from
 * /proc/<pid>/stat) is reported too: on a shared machine it moves less than the wall time. BENCH_BASE_BIN
 * (another checkout's bin/portcullis.js, e.g. the last commit) is started in alternation with this one, as
 * the "before" column. Then RSS after issuing BENCH_GRANTS (100k) grants and the store's growth per grant.
 *
 *   node --import tsx bench/footprint.ts            (BENCH_ROUNDS)
 */
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, progress, report, runChild, runMain, sleep, stat } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = 2000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'portcullis.js');

const GRANTS = Number(process.env.BENCH_GRANTS ?? 100_000);
const BASE_BIN = process.env.BENCH_BASE_BIN;

/** user + system CPU of a process so far, ms (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms) */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

async function startOnce(dataDir: string, bin = BIN): Promise<{ readyMs: number; cpuMs: number; rss: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORTCULLIS_LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  // cwd = the data dir, so no config file of the working tree is picked up
  const child = spawn(process.execPath, [bin, 'serve', '--demo', '--port', String(port), '--data-dir', dataDir], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready banner after 20 s: ${err.slice(-1000)}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Portcullis is ready.')) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err.slice(-1000)}`)));
    });
    const cpu = cpuMs(child.pid!);
    await sleep(IDLE_MS);
    return { readyMs, cpuMs: cpu, rss: rssMb(child.pid!) };
  } finally {
    child.removeAllListeners('exit');
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * In a child: the runtime as `serve` builds it (SQLite file store), then GRANTS grants written through the store
 * (the rows the token endpoint writes for a client_credentials grant; going through HTTP would take minutes
 * here), then RSS and the database's growth (db + WAL files) per grant.
 */
async function childGrants(): Promise<void> {
  const { configSchema } = await import('../src/config/schema.js');
  const { startRuntime } = await import('../src/server/runtime.js');
  const { silentLogger } = await import('../src/core/log.js');
  const { statSync } = await import('node:fs');
  const { randomUUID } = await import('node:crypto');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-footprint-grants-'));
  try {
    const port = await freePort();
    const config = configSchema.parse({ issuer: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, dev: true, data_dir: dataDir, resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:9/mcp', scopes: ['notes:read'] }] });
    const runtime = await startRuntime(config, { log: silentLogger() });
    const size = () => ['portcullis.db', 'portcullis.db-wal'].reduce((n, f) => n + (existsSync(join(dataDir, f)) ? statSync(join(dataDir, f)).size : 0), 0);
    await sleep(500);
    const rss0 = process.memoryUsage().rss / 2 ** 20;
    const bytes0 = size();
    const now = Date.now();
    const resource = runtime.settings.resources[0]!.id;
    for (let i = 0; i < GRANTS; i++) {
      await runtime.store.createGrant({ id: randomUUID(), user_id: `user-${i % 1000}`, client_id: 'https://client.example/cimd.json', resource, scope: ['notes:read'], created_at: now, auth_time: null, revoked_at: null, revoked_reason: null });
    }
    await sleep(500);
    const rss1 = process.memoryUsage().rss / 2 ** 20;
    const bytes1 = size();
    await runtime.close();
    process.send!({ rss0, rss1, bytesPerGrant: (bytes1 - bytes0) / GRANTS });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function grantsFootprint(): Promise<{ rss0: number; rss1: number; bytesPerGrant: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--child-grants'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { rss0: number; rss1: number; bytesPerGrant: number }));
    child.once('exit', (code) => reject(new Error(`grants child exited ${code}`)));
  });
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npm run build` first');
  const first: number[] = [];
  const restart: number[] = [];
  const restartCpu: number[] = [];
  const rss: number[] = [];
  const base = { restart: [] as number[], restartCpu: [] as number[], first: [] as number[], rss: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    const sides = BASE_BIN ? (i % 2 === 0 ? [BIN, BASE_BIN] : [BASE_BIN, BIN]) : [BIN];
    for (const bin of sides) {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-footprint-'));
      try {
        const a = await startOnce(dir, bin);
        const b = await startOnce(dir, bin);
        if (bin === BIN) {
          first.push(a.readyMs);
          restart.push(b.readyMs);
          restartCpu.push(b.cpuMs);
          rss.push(a.rss, b.rss);
        } else {
          base.first.push(a.readyMs);
          base.restart.push(b.readyMs);
          base.restartCpu.push(b.cpuMs);
          base.rss.push(a.rss, b.rss);
        }
        progress(`round ${i + 1}${bin === BIN ? '' : ' (base)'}: first start ${a.readyMs.toFixed(0)} ms, restart ${b.readyMs.toFixed(0)} ms (CPU ${b.cpuMs} ms), idle RSS ${a.rss.toFixed(1)} / ${b.rss.toFixed(1)} MB`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  progress(`writing ${GRANTS} grants`);
  const g = await grantsFootprint();
  progress(`RSS ${g.rss0.toFixed(1)} MB → ${g.rss1.toFixed(1)} MB after ${GRANTS} grants; ${g.bytesPerGrant.toFixed(0)} bytes per grant`);
  report({
    figure: 'footprint',
    metrics: [
      { name: 'start-up to ready (restart, existing data dir)', unit: 'ms', stat: stat(restart), goal: { op: '<=', value: 1000, text: '< 1000 ms' } },
      { name: 'start-up to ready (first start, fresh data dir)', unit: 'ms', stat: stat(first), goal: { op: '<=', value: 1000, text: '< 1000 ms' } },
      { name: 'start-up CPU time until ready (restart)', unit: 'ms', stat: stat(restartCpu) },
      ...(BASE_BIN
        ? [
            { name: 'before (base): start-up to ready (restart)', unit: 'ms', stat: stat(base.restart) },
            { name: 'before (base): start-up CPU time until ready (restart)', unit: 'ms', stat: stat(base.restartCpu) },
            { name: 'start-up ratio (this / base, restart)', unit: '', stat: stat(restart.map((r, i) => r / base.restart[i]!)) },
          ]
        : []),
      { name: 'idle RSS after 2 s', unit: 'MB', stat: stat(rss), goal: { op: '<=', value: 120, text: '< 120 MB' } },
      { name: `RSS after ${GRANTS / 1000}k grants written`, unit: 'MB', stat: stat([g.rss1]) },
      { name: 'store growth per grant (db + WAL)', unit: 'bytes', stat: stat([g.bytesPerGrant]) },
    ],
    notes: [
      `${ROUNDS} rounds; \`serve --demo\` includes the bundled demo notes MCP server in the same process${BASE_BIN ? `; base = ${BASE_BIN}, alternated` : ''}`,
      `${GRANTS} grants written through the store API of a running runtime (one process, one run): RSS ${g.rss0.toFixed(0)} MB before`,
    ],
  });
}

if (process.argv[2] === '--child-grants') runChild(childGrants());
else runMain(main);
