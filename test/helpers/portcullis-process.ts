import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './ports.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'portcullis.js');

/** What `portcullis serve` prints when it is ready (src/cli/serve.ts printBanner). */
export interface Banner {
  mcpUrls: string[];
  issuer: string;
  listenUrl: string;
  demoUser: string | null;
  demoPassword: string | null;
}

export interface PortcullisProcess {
  proc: ChildProcess;
  banner: Banner;
  /** everything written so far */
  stdout(): string;
  stderr(): string;
  /** sends `signal` and resolves with the exit code (null if killed by a signal), or rejects after `timeoutMs` */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL if still running; safe to call any number of times (for after() hooks) */
  kill(): void;
}

export interface SpawnOptions {
  args: string[];
  env?: Record<string, string>;
  /** how long to wait for the banner (default 30 s: first start hashes the demo password and creates keys) */
  readyTimeoutMs?: number;
  cwd?: string;
}

export function parseBanner(text: string): Banner {
  const field = (label: string): string | null => new RegExp(`^\\s*${label}:\\s+(\\S.*?)\\s*$`, 'm').exec(text)?.[1] ?? null;
  const mcpUrls = [...text.matchAll(/^\s*MCP URL \(paste into your client\):\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  const login = /^\s*Demo login:\s+(\S+) \/ (\S+)\s*$/m.exec(text);
  return {
    mcpUrls,
    issuer: field('Issuer \\(authorization server\\)') ?? '',
    listenUrl: field('Listening on') ?? '',
    demoUser: login?.[1] ?? null,
    demoPassword: login?.[2] ?? null,
  };
}

/**
 * Spawns the real CLI (`node bin/portcullis.js …`, the build output in dist/) and waits for the complete
 * "Portcullis is ready" banner on stdout. Rejects, with the output so far, if the process exits first or the
 * banner does not appear in time. The process is killed on any failure here.
 */
export async function spawnPortcullis(opts: SpawnOptions): Promise<PortcullisProcess> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  // PORTCULLIS_* settings from the developer's shell must not change the server under test
  for (const k of Object.keys(env)) if (k.startsWith('PORTCULLIS_') && !(opts.env && k in opts.env)) delete env[k];
  const proc = spawn(process.execPath, [CLI, ...opts.args], { cwd: opts.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  const kill = (): void => {
    if (alive && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  // Last resort: never leave a server behind. The child and its pipes do not keep this process alive, so a test
  // file that fails without reaching its after() hook still ends, and its 'exit' takes the server down with it.
  proc.unref();
  for (const s of [proc.stdout, proc.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  process.once('exit', kill);
  void exited.then(() => process.removeListener('exit', kill));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (/Portcullis is ready\.[\s\S]*Press Ctrl-C to stop\./.test(out)) resolve();
        };
        proc.stdout!.on('data', check);
        void exited.then((code) => reject(new Error(`portcullis exited with ${code} before it was ready\nstdout:\n${out}\nstderr:\n${err}`)));
        check();
      }),
      opts.readyTimeoutMs ?? 30_000,
      'portcullis did not print its ready banner',
    );
  } catch (e) {
    kill();
    if (e instanceof Error && !e.message.includes('stdout:')) e.message += `\nstdout:\n${out}\nstderr:\n${err}`;
    throw e;
  }
  return {
    proc,
    banner: parseBanner(out),
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGINT', timeoutMs = 5_000) => {
      if (alive) proc.kill(signal);
      try {
        return await withTimeout(exited, timeoutMs, `portcullis did not exit after ${signal}`);
      } catch (e) {
        kill();
        throw e;
      }
    },
    kill,
  };
}

export interface DemoServerOptions {
  port: number;
  dataDir: string;
  /** PEM file of the test CA, trusted by the server (NODE_EXTRA_CA_CERTS) for loopback https CIMD documents */
  caFile: string;
  /** extra env (PORTCULLIS_* overrides) */
  env?: Record<string, string>;
}

/**
 * `portcullis serve --demo` as a user would start it, with short-lived tokens for tests: access tokens live 60 s
 * (the configured minimum) with no clock-skew allowance, so a test can watch one expire.
 */
export function serveDemo(o: DemoServerOptions): Promise<PortcullisProcess> {
  return spawnPortcullis({
    args: ['serve', '--demo', '--port', String(o.port), '--data-dir', o.dataDir],
    env: {
      NODE_EXTRA_CA_CERTS: o.caFile,
      PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL: '60',
      PORTCULLIS_TOKENS__CLOCK_SKEW: '0',
      PORTCULLIS_LOG_LEVEL: 'warn',
      ...o.env,
    },
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one admin command of the real CLI (`node bin/portcullis.js …`) to completion, asynchronously (the test's
 * own servers keep answering meanwhile), with `input` on stdin (e.g. a password for `users add`). PORTCULLIS_*
 * settings from the developer's shell are dropped as in spawnPortcullis; the process is killed after `timeoutMs`.
 */
export function runCli(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent', ...opts.env };
  for (const k of Object.keys(env)) if (k.startsWith('PORTCULLIS_') && k !== 'PORTCULLIS_LOG_LEVEL' && !(opts.env && k in opts.env)) delete env[k];
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdin.on('error', () => undefined); // the command may exit without reading stdin
  proc.stdin.end(opts.input ?? '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
