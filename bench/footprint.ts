/**
 * Issue 9 figure 5: footprint. `node bin/portcullis.js serve --demo` (the built dist/, so run `npm run build`
 * first), timed from spawn to the "Portcullis is ready." banner, then RSS after 2 s idle (/proc/<pid>/status
 * VmRSS). Each round starts on a fresh data dir (first start: migrations, key generation, demo user) and then
 * restarts on the same dir (the everyday start).
 *
 *   node --import tsx bench/footprint.ts            (BENCH_ROUNDS)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, progress, report, sleep, stat } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = 2000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'portcullis.js');

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) / 1024;
}

async function startOnce(dataDir: string): Promise<{ readyMs: number; rss: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORTCULLIS_LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  // cwd = the data dir, so no config file of the working tree is picked up
  const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', String(port), '--data-dir', dataDir], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    await sleep(IDLE_MS);
    return { readyMs, rss: rssMb(child.pid!) };
  } finally {
    child.removeAllListeners('exit');
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ missing: run `npm run build` first');
  const first: number[] = [];
  const restart: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-footprint-'));
    try {
      const a = await startOnce(dir);
      const b = await startOnce(dir);
      first.push(a.readyMs);
      restart.push(b.readyMs);
      rss.push(a.rss, b.rss);
      progress(`round ${i + 1}: first start ${a.readyMs.toFixed(0)} ms, restart ${b.readyMs.toFixed(0)} ms, idle RSS ${a.rss.toFixed(1)} / ${b.rss.toFixed(1)} MB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  report({
    figure: 'footprint',
    metrics: [
      { name: 'start-up to ready (restart, existing data dir)', unit: 'ms', stat: stat(restart), goal: { op: '<=', value: 1000, text: '< 1000 ms' } },
      { name: 'start-up to ready (first start, fresh data dir)', unit: 'ms', stat: stat(first), goal: { op: '<=', value: 1000, text: '< 1000 ms' } },
      { name: 'idle RSS after 2 s', unit: 'MB', stat: stat(rss), goal: { op: '<=', value: 120, text: '< 120 MB' } },
    ],
    notes: [`${ROUNDS} rounds; \`serve --demo\` includes the bundled demo notes MCP server in the same process`],
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
