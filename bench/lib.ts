import { appendFileSync } from 'node:fs';
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
