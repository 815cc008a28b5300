import { spawn, type ChildProcess } from 'node:child_process';
import type { GatewayLog } from '../proxy.js';

/**
 * One stdio MCP server process (MCP 2026-07-28 [stdio]): newline-delimited JSON-RPC on stdin/stdout, stderr for
 * logging. Only lines that are JSON-RPC messages leave this file; any other stdout output ("noise", which the
 * spec forbids but real servers print) and all of stderr go to the log, rate-limited, never to a client.
 */

export type JsonRpcMessage = Record<string, unknown>;

export interface ChildSpec {
  command: string;
  args: readonly string[];
  cwd?: string | undefined;
  /** the child's whole environment (never the gateway's: see env.ts) */
  env: Record<string, string>;
}

export interface ChildOptions {
  spec: ChildSpec;
  log: GatewayLog;
  /** fields on every log line (resource, key) */
  logContext: Record<string, unknown>;
  onMessage(msg: JsonRpcMessage): void;
  onExit(info: { code: number | null; signal: string | null }): void;
  /** longest stdout line accepted; a longer one is dropped; default 16 MiB */
  maxLineBytes?: number;
  /** log lines per 10 s from stderr and stdout noise together; default 20 */
  logLinesPer10s?: number;
}

const MIB = 1024 * 1024;

export class StdioChild {
  readonly #opts: ChildOptions;
  readonly #proc: ChildProcess;
  #exited = false;
  readonly #exit: Promise<void>;
  readonly #logLine: (stream: 'stderr' | 'stdout', line: string) => void;

  /** spawn; resolves once the process runs, rejects when it cannot be started (ENOENT, EACCES…) */
  static start(opts: ChildOptions): Promise<StdioChild> {
    const child = new StdioChild(opts);
    return new Promise((resolve, reject) => {
      child.#proc.once('spawn', () => resolve(child));
      child.#proc.once('error', (e) => {
        if (child.#proc.pid === undefined) reject(e);
      });
    });
  }

  private constructor(opts: ChildOptions) {
    this.#opts = opts;
    const { spec } = opts;
    this.#logLine = rateLimitedLog(opts.log, opts.logContext, opts.logLinesPer10s ?? 20);
    // own process group, so that stop() reaches whatever the command starts (npx → node, sh → program)
    this.#proc = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
    this.#exit = new Promise((resolve) => {
      this.#proc.once('exit', (code, signal) => {
        this.#exited = true;
        resolve();
        opts.onExit({ code, signal });
      });
      this.#proc.once('error', () => {
        if (this.#proc.pid !== undefined) return;
        this.#exited = true;
        resolve();
      });
    });
    this.#proc.stdin!.on('error', () => {}); // EPIPE after the child died: the exit handler reports it
    readLines(this.#proc.stdout!, opts.maxLineBytes ?? 16 * MIB, (line) => this.#onStdout(line), (bytes) => {
      this.#opts.log.warn({ ...this.#opts.logContext, pid: this.pid, bytes }, 'stdio server wrote an oversized stdout line; dropped');
    });
    readLines(this.#proc.stderr!, 64 * 1024, (line) => this.#logLine('stderr', line), () => {});
  }

  get pid(): number {
    return this.#proc.pid!;
  }

  get running(): boolean {
    return !this.#exited;
  }

  /** hold / release the child's stdout (a slow client's stream is full); the child blocks on its own writes */
  pause(): void {
    this.#proc.stdout!.pause();
  }

  resume(): void {
    this.#proc.stdout!.resume();
  }

  /** Write one message; false when the child is gone. */
  send(msg: JsonRpcMessage): boolean {
    if (this.#exited || !this.#proc.stdin!.writable) return false;
    // JSON.stringify never emits a raw newline, so one message is one line ([stdio] "MUST NOT contain embedded newlines")
    this.#proc.stdin!.write(`${JSON.stringify(msg)}\n`);
    return true;
  }

  /**
   * [stdio] "Shutdown": close stdin, then SIGTERM, then SIGKILL, to the whole process group.
   * Resolves when the process has exited.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#exited) return;
    this.#proc.stdin!.end();
    const exited = await within(this.#exit, Math.min(500, graceMs));
    if (!exited) {
      this.#signal('SIGTERM');
      if (!(await within(this.#exit, graceMs))) this.#signal('SIGKILL');
    }
    await this.#exit;
  }

  #signal(sig: NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        this.#proc.kill(sig);
      } catch {
        /* gone */
      }
    }
  }

  #onStdout(line: string): void {
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = undefined;
    }
    if (isJsonRpcMessage(msg)) this.#opts.onMessage(msg);
    else this.#logLine('stdout', line);
  }
}

export function isJsonRpcMessage(v: unknown): v is JsonRpcMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as JsonRpcMessage;
  if (m.jsonrpc !== '2.0') return false;
  if (typeof m.method === 'string') return true;
  return (typeof m.id === 'string' || typeof m.id === 'number' || m.id === null) && ('result' in m || 'error' in m);
}

/** Split a byte stream into lines; a line longer than `max` bytes is dropped (reported once) up to its newline. */
function readLines(stream: NodeJS.ReadableStream, max: number, onLine: (line: string) => void, onOversized: (bytes: number) => void): void {
  let parts: Buffer[] = [];
  let size = 0;
  let dropping = false;
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!dropping) {
        size += end - start;
        if (size > max) {
          dropping = true;
          onOversized(size);
          parts = [];
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
        }
      }
      if (nl === -1) break;
      if (!dropping) onLine(Buffer.concat(parts).toString('utf8').replace(/\r$/, ''));
      parts = [];
      size = 0;
      dropping = false;
      start = nl + 1;
    }
  });
  stream.on('error', () => {});
}

/** At most `perWindow` lines per 10 s go to the log (each cut at 2000 characters); the rest are counted. */
function rateLimitedLog(log: GatewayLog, ctx: Record<string, unknown>, perWindow: number): (stream: 'stderr' | 'stdout', line: string) => void {
  let windowStart = 0;
  let count = 0;
  let suppressed = 0;
  return (stream, line) => {
    const now = Date.now();
    if (now - windowStart >= 10_000) {
      if (suppressed > 0) log.warn({ ...ctx, suppressed }, 'stdio server output lines not logged (rate limit)');
      windowStart = now;
      count = 0;
      suppressed = 0;
    }
    if (++count > perWindow) {
      suppressed++;
      return;
    }
    const text = line.length > 2000 ? `${line.slice(0, 2000)}…` : line;
    if (stream === 'stderr') log.info({ ...ctx, stderr: text }, 'stdio server stderr');
    else log.warn({ ...ctx, stdout: text }, 'stdio server wrote a non-JSON-RPC line to stdout; dropped');
  };
}

function within(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
