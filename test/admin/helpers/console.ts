import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseBanner, REPO_ROOT, type Banner } from '../../helpers/portcullis-process.js';
import { withTimeout } from '../../helpers/ports.js';
import { hashPassword } from '../../../src/as/passwords.js';
import { CookieJar, hiddenInput } from '../../helpers/browserless.js';
import { ISSUER, startHarness, type Harness } from '../../helpers/as-harness.js';

export const CONSOLE = '/admin';
export const BOB_PASSWORD = 'bob-password-123';

/** the AS harness in review mode with roles, admin alice (user-1) and reader bob (user-2) */
export async function startConsoleHarness(): Promise<Harness> {
  const h = await startHarness({ roles: { admin: ['notes:write'], reader: ['notes:read'], editor: ['notes:write'] }, trust: { mode: 'review' } } as never);
  await h.store.createUser({ id: 'user-2', username: 'bob', password_hash: await hashPassword(BOB_PASSWORD), roles: ['reader'], disabled: false, created_at: h.clock.now });
  return h;
}

/** a browserless browser: a cookie jar, same-origin form posts (Origin set as a browser sets it) */
export class FormClient {
  readonly jar = new CookieJar();
  constructor(private readonly h: Harness) {}

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = await this.h.request(path, { headers: { cookie: this.jar.header() }, redirect: 'manual' });
    this.jar.take(res);
    return { res, html: await res.text() };
  }

  async post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = { origin: ISSUER }): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
    const res = await this.h.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.jar.header(), ...headers }, body: body.toString(), redirect: 'manual' });
    this.jar.take(res);
    return res;
  }

  /** GET /admin (login page), POST the form with its CSRF token: the session cookie lands in the jar */
  async login(username: string, password: string): Promise<Response> {
    const { html } = await this.get(CONSOLE);
    assert.match(html, /name="password"/, 'the login page');
    return this.post(`${CONSOLE}/login`, { csrf: hiddenInput(html, 'csrf') ?? '', username, password });
  }

  /** the console's session CSRF token, read from a page's hidden input */
  async csrf(path = CONSOLE): Promise<string> {
    const { html } = await this.get(path);
    const t = hiddenInput(html, 'csrf');
    assert.ok(t, 'a csrf hidden input');
    return t;
  }
}

/**
 * Every form control of a page has an accessible name: a `<label for=id>` (or aria-label); hidden inputs and
 * buttons with text excepted. Returns the problems found (empty: all labelled).
 */
export function unlabelledControls(html: string): string[] {
  const problems: string[] = [];
  const labels = new Set([...html.matchAll(/<label[^>]*\sfor="([^"]+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2]!;
    if (/type="hidden"/.test(attrs)) continue;
    const id = /\sid="([^"]+)"/.exec(attrs)?.[1];
    if (/\saria-label="[^"]+"/.test(attrs)) continue;
    if (!id || !labels.has(id)) problems.push(`<${m[1]}${attrs}>`);
  }
  for (const m of html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)) if (!m[2]!.trim() && !/aria-label=/.test(m[1]!)) problems.push(`<button${m[1]}> without text`);
  return problems;
}

/** every table has a caption and every header cell a scope */
export function tableProblems(html: string): string[] {
  const problems: string[] = [];
  for (const m of html.matchAll(/<table\b[^>]*>([\s\S]*?)<\/table>/g)) {
    if (!/^\s*<caption>/.test(m[1]!)) problems.push('table without caption');
    for (const th of m[1]!.matchAll(/<th\b([^>]*)>/g)) if (!/scope="(col|row)"/.test(th[1]!)) problems.push(`<th${th[1]}> without scope`);
  }
  return problems;
}

/** a real server process from the sources (test/admin/helpers/serve-src.ts) with its own environment */
export async function serveFromSource(args: string[], env: Record<string, string>): Promise<{ banner: Banner; stop(): Promise<void> }> {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of Object.keys(full)) if (k.startsWith('PORTCULLIS_') && !(k in env)) delete full[k];
  const script = join(REPO_ROOT, 'test', 'admin', 'helpers', 'serve-src.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', () => /Press Ctrl-C to stop\./.test(out) && resolve());
        void exited.then(() => reject(new Error(`exited before ready\n${out}\n${err}`)));
      }),
      60_000,
      `portcullis (from source) did not start\n${out}\n${err}`,
    );
  } catch (e) {
    kill();
    throw e;
  }
  return {
    banner: parseBanner(out),
    stop: async () => {
      proc.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'portcullis did not stop').catch(kill);
    },
  };
}
