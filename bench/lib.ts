import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'undici';

/** One measured figure: the median over rounds, and how far the rounds spread. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median, a fraction (0.05 = 5 %) */
  spread: number;
  rounds: number;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median, rounds: n };
}

/** p-th percentile (0..100) of raw samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A metric as reported: with a goal it passes or fails; without one it is informational. */
export interface Metric {
  name: string;
  unit: string;
  stat: Stat;
  /** e.g. `>= 0.85`; `pass` compares the median */
  goal?: { op: '>=' | '<='; value: number; text: string };
}

export interface FigureResult {
  figure: string;
  metrics: Metric[];
  notes?: string[];
}

export function passes(m: Metric): boolean | undefined {
  if (!m.goal) return undefined;
  return m.goal.op === '>=' ? m.stat.median >= m.goal.value : m.stat.median <= m.goal.value;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toString();
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)} %`;

/**
 * The one summary line a bench script prints on stdout. With BENCH_OUT set (bench/run.ts), the result is also
 * appended there as one JSON line.
 */
export function report(r: FigureResult): void {
  const parts = r.metrics.map((m) => {
    const verdict = passes(m);
    const goal = m.goal ? ` [goal ${m.goal.text}: ${verdict ? 'PASS' : 'FAIL'}]` : '';
    return `${m.name}=${fmt(m.stat.median)}${m.unit ? ' ' + m.unit : ''} (spread ${pct(m.stat.spread)})${goal}`;
  });
  console.log(`${r.figure}: ${parts.join('; ')}`);
  const out = process.env.BENCH_OUT;
  if (out) appendFileSync(out, JSON.stringify(r) + '\n');
}

/** progress on stderr, so stdout stays the one summary line */
export const progress = (msg: string): void => void process.stderr.write(`  · ${msg}\n`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** non-2xx responses */
  badStatus: number;
  seconds: number;
  rps: number;
  /** per-request latencies, ms */
  latencies: number[];
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationMs: number;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Closed-loop load: `connections` undici Clients (one connection each, no pipelining), each sending the next
 * request as soon as the previous response body has been read, until `durationMs` has passed.
 */
export async function load(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const clients = Array.from({ length: o.connections }, () => new Client(url.origin, { pipelining: 1, keepAliveTimeout: 30_000 }));
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let badStatus = 0;
  const started = performance.now();
  const deadline = started + o.durationMs;
  const path = url.pathname + url.search;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const res = await client.request({ path, method: o.method ?? 'POST', headers: o.headers, body: o.body });
          await res.body.text();
          if (res.statusCode < 200 || res.statusCode >= 300) badStatus++;
          requests++;
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
          if (errors > 1000) throw new Error('load: too many errors');
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { requests, errors, badStatus, seconds, rps: requests / seconds, latencies };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- child processes

/** A child's answer to `{ type: 'cpu' }`: its process.cpuUsage(), µs. */
export type CpuMessage = { type: 'cpu'; user: number; system: number };

/** The child side of the IPC: answers `cpu` with its CPU time so far, exits on `exit` or when the parent goes. */
export function serveCpuIpc(): void {
  process.on('message', (m: { type: string }) => {
    if (m.type === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ type: 'cpu', user: u.user, system: u.system } satisfies CpuMessage);
    } else if (m.type === 'exit') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
}

export interface BenchChild<R> {
  proc: ChildProcess;
  /** the child's first `{ type: 'ready' }` message */
  ready: R;
  /** its CPU time so far (user + system), µs; the child must run serveCpuIpc */
  cpu(): Promise<number>;
  stop(): void;
}

export interface ForkOptions {
  /** named in the errors */
  role: string;
  script: string;
  args: string[];
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** the child's stdout and stderr go here (kept when something fails), not the terminal */
  logFile: string;
  timeoutMs: number;
}

/** Forks a benchmark child and waits for its `{ type: 'ready' }` message; a child that exits first is an error. */
export async function forkChild<R extends { type: 'ready' }>(o: ForkOptions): Promise<BenchChild<R>> {
  const logFd = openSync(o.logFile, 'w');
  const proc = fork(o.script, o.args, { execArgv: o.execArgv ?? ['--import', 'tsx'], ...(o.env ? { env: o.env } : {}), stdio: ['ignore', logFd, logFd, 'ipc'] });
  const ready = await new Promise<R>((resolve, reject) => {
    const tail = () => readFileSync(o.logFile, 'utf8').slice(-2000);
    const t = setTimeout(() => reject(new Error(`${o.role} did not start: ${tail()}`)), o.timeoutMs);
    proc.once('exit', (code) => reject(new Error(`${o.role} exited ${code}: ${tail()}`)));
    proc.on('message', (m: R | CpuMessage) => {
      if (m.type === 'ready') {
        clearTimeout(t);
        resolve(m);
      }
    });
  }).catch((e: unknown) => {
    proc.kill(); // not left running when it never got ready
    throw e;
  });
  proc.removeAllListeners('exit');
  return {
    proc,
    ready,
    cpu: () =>
      new Promise<number>((resolve) => {
        const on = (m: R | CpuMessage) => {
          if (m.type !== 'cpu') return;
          proc.off('message', on);
          resolve(m.user + m.system);
        };
        proc.on('message', on);
        proc.send({ type: 'cpu' });
      }),
    stop: () => void proc.send({ type: 'exit' }),
  };
}

/** A run's log directory: removed after a run that succeeded, kept (and named on stderr) after one that failed. */
export function settleLogs(dir: string, ok: boolean): void {
  if (ok) rmSync(dir, { recursive: true, force: true });
  else progress(`logs kept in ${dir}`);
}

/** A benchmark child's body: a failure is printed and the child exits 1 (its parent sees the exit). */
export function runChild(run: Promise<unknown>): void {
  run.catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/** A benchmark's coordinator: a failure is printed and the run ends with exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
