/**
 * Shared plumbing for the conformance-suite tests: run the official suite (Node 22 through npx, pinned), start
 * Portcullis through its CLI, find free loopback ports, read the suite's checks.json files.
 * See /work/shared/reference/peer-suites.md §1–§2 for the suite's roles, flags and quirks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The only line with the `authorization` role and the 2026-07-28 (stateless) server scenarios. */
export const SUITE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
export const SUITE_VERSION = SUITE.split('@').pop()!;
/** Node ≥ 22 is needed by every suite version ≥ 0.1.14 (fs.globSync); the project itself stays on Node 20. */
const NPX = existsSync(join(dirname(process.execPath), 'npx')) ? join(dirname(process.execPath), 'npx') : 'npx';

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
export interface Check {
  id: string;
  name: string;
  description: string;
  status: CheckStatus;
  errorMessage?: string;
  details?: unknown;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Kill a child started here, and its process group (npx → node → suite), by id. */
export function killTree(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

function onLines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) fn(buf);
  });
}

export interface SuiteRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/**
 * `npx -y -p node@22 -p <SUITE> -- conformance <args>`, bounded by `timeoutMs` (the whole process group is killed
 * when it runs out). `onLine` sees every stdout line as it arrives.
 */
export function runSuite(args: string[], opts: { timeoutMs: number; onLine?: (line: string) => void; track?: Set<ChildProcess> }): Promise<SuiteRun> {
  const started = Date.now();
  const child = spawn(NPX, ['-y', '-p', 'node@22', '-p', SUITE, '--', 'conformance', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so killTree reaches the suite behind npx
  });
  opts.track?.add(child);
  let stdout = '';
  let stderr = '';
  onLines(child.stdout!, (line) => {
    stdout += `${line}\n`;
    opts.onLine?.(line);
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child, 'SIGKILL');
  }, opts.timeoutMs);
  return new Promise((resolvePromise, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.track?.delete(child);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** checks.json of every scenario under a suite output dir: scenario name → checks. */
export function readChecks(outDir: string): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  if (!existsSync(outDir)) return out;
  for (const entry of readdirSync(outDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(outDir, entry.name, 'checks.json');
    if (!existsSync(file)) continue;
    // <role>-<scenario>-<ISO timestamp with : and . replaced by ->; role is server | authorization-server | client
    const scenario = entry.name.replace(/^(authorization-server|server|client)-/, '').replace(/-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/, '');
    out.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return out;
}

export interface Portcullis {
  issuer: string;
  mcpUrl: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const bin = join(ROOT, 'bin', 'portcullis.js');

/** `portcullis users add NAME` with the password on stdin. */
export function addUser(args: { dataDir: string; config?: string; name: string; password: string }): void {
  const r = spawnSync(
    process.execPath,
    [bin, 'users', 'add', args.name, '--data-dir', args.dataDir, ...(args.config ? ['--config', args.config] : [])],
    { input: `${args.password}\n`, encoding: 'utf8', timeout: 30_000, cwd: ROOT },
  );
  if (r.status !== 0) throw new Error(`users add failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** `portcullis serve …` as a child process; resolves when it prints "Portcullis is ready". */
export async function startPortcullis(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Portcullis> {
  // hermetic: no PORTCULLIS_* from the caller's environment, only what the test passes
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    cwd: ROOT,
    env: { ...inherited, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  let issuer = '';
  let mcpUrl = '';
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      killTree(child, 'SIGKILL');
      reject(new Error(`Portcullis did not become ready in time:\n${output}`));
    }, opts.timeoutMs ?? 20_000);
    onLines(child.stdout!, (line) => {
      output += `${line}\n`;
      const m = /^\s*(MCP URL|Issuer)[^:]*:\s+(\S+)/.exec(line);
      if (m?.[1] === 'MCP URL' && !mcpUrl) mcpUrl = m[2]!;
      if (m?.[1] === 'Issuer') issuer = m[2]!;
      if (/Listening on:/.test(line)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Portcullis exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    issuer,
    mcpUrl,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      killTree(child, 'SIGTERM');
      const t = setTimeout(() => killTree(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A compact per-scenario summary: "✓ name (3/3)" or "✗ name (1/3): first failure". */
export function summarize(checks: Map<string, Check[]>): string {
  return [...checks]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, cs]) => {
      const ok = cs.filter((c) => c.status === 'SUCCESS').length;
      const failed = cs.filter((c) => c.status === 'FAILURE');
      const scored = ok + failed.length;
      const first = failed[0] ? `: ${failed[0].id}: ${(failed[0].errorMessage ?? '').slice(0, 160)}` : '';
      return `${failed.length ? '✗' : '✓'} ${name} (${ok}/${scored})${first}`;
    })
    .join('\n');
}

/**
 * A loopback reverse proxy that adds `Authorization: Bearer <token>` to every request and forwards it to
 * `target` unchanged otherwise: same method, path, headers (Host and Origin included, as the client sent them),
 * body streamed both ways (SSE stays incremental). The suite's `server` role cannot send a token itself
 * (peer-suites.md §1.4, §3.9).
 */
export async function startTokenProxy(target: string, token: () => string): Promise<{ url: string; close(): Promise<void> }> {
  const t = new URL(target);
  const server = createHttpServer((req, res) => {
    const up = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${token()}` } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => up.destroy()); // client gone: close the upstream stream too
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
