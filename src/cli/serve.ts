import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isLoopbackHost } from '../core/urls.js';
import { randomToken } from '../core/random.js';
import { hashPassword } from '../as/passwords.js';
import { DEMO_ROLES, demoResource } from '../demo/config.js';
import type { DemoServer } from '../demo/notes-server.js';
import { startRuntime } from '../server/runtime.js';
import type { Store } from '../store/types.js';
import { flagsToConfig, parseServeFlags } from './args.js';

export async function serveCommand(args: string[]): Promise<number> {
  const flags = parseServeFlags(args);
  const { config, file } = loadConfig({ file: flags.config, flags: flagsToConfig(flags) });
  if (config.demo && !config.dev && issuerIsLoopback(config)) config.dev = true; // ARCHITECTURE.md "Dev and demo"

  let demo: DemoServer | null = null;
  if (config.demo && config.resources.length === 0 && !config.upstream && !config.upstream_stdio) {
    mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
    // issue 9: the MCP SDK behind the demo server is loaded only for --demo
    const { startDemoNotesServer } = await import('../demo/notes-server.js');
    demo = await startDemoNotesServer({ dataDir: config.data_dir });
    config.resources = [demoResource(demo.url)];
    config.roles ??= { ...DEMO_ROLES };
  }
  let runtime;
  try {
    runtime = await startRuntime(config);
  } catch (e) {
    await demo?.close();
    throw e;
  }
  if (config.dev) {
    console.error(
      '\n  ⚠  DEVELOPMENT MODE (--dev): http issuer on loopback, loopback client metadata URLs and cookies without\n' +
        '     Secure are allowed. Never expose this instance beyond this machine.\n',
    );
  }
  const demoLogin = config.demo ? await ensureDemoUser(runtime.store, config) : null;
  printBanner(runtime.settings.issuer, runtime.settings.resources.map((r) => r.id), runtime.listenUrl, file, demoLogin);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // issue 6: not ready, stop accepting, drain in-flight requests and streams for shutdown_grace_s; a second signal stops at once
  console.error(`portcullis: shutting down (draining up to ${config.shutdown_grace_s} s; signal again to stop now)…`);
  const now = () => void runtime.close();
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  await runtime.shutdown(config.shutdown_grace_s * 1000);
  await demo?.close();
  console.error('portcullis: stopped');
  return 0;
}

function issuerIsLoopback(config: Config): boolean {
  if (!config.issuer) return isLoopbackHost(config.host) || config.host === 'localhost';
  try {
    return isLoopbackHost(new URL(config.issuer).hostname);
  } catch {
    return false;
  }
}

/** The demo user `demo` with a random password kept in the data dir (0600) and printed at every start. */
async function ensureDemoUser(store: Store, config: Config): Promise<{ username: string; password: string | null }> {
  const file = join(config.data_dir, 'demo-password');
  const existing = await store.getUserByName('demo');
  if (existing) {
    return { username: 'demo', password: existsSync(file) ? readFileSync(file, 'utf8').trim() : null };
  }
  const password = randomToken(12);
  writeFileSync(file, password, { mode: 0o600 });
  chmodSync(file, 0o600);
  await store.createUser({
    id: randomUUID(),
    username: 'demo',
    password_hash: await hashPassword(password),
    roles: ['admin', 'editor', 'reader'],
    disabled: false,
    created_at: Date.now(),
  });
  return { username: 'demo', password };
}

function printBanner(issuer: string, mcpUrls: string[], listenUrl: string, file: string | null, demo: { username: string; password: string | null } | null): void {
  const lines = [
    '',
    '  Portcullis is ready.',
    '',
    ...mcpUrls.map((u) => `  MCP URL (paste into your client):  ${u}`),
    `  Issuer (authorization server):     ${issuer}`,
    `  Listening on:                      ${listenUrl}`,
    `  Config file:                       ${file ?? '(none; defaults, env and flags)'}`,
  ];
  if (demo) {
    lines.push(`  Demo login:                        ${demo.username} / ${demo.password ?? '(password set outside the demo)'}`);
  }
  lines.push(
    '',
    '  Next steps:',
    '    1. Add the MCP URL to Claude, VS Code, Cursor or any MCP client: no client configuration needed.',
    '    2. Sign in when the browser opens, review the permissions, approve.',
    '    3. Protect your own server:  portcullis init  then  portcullis serve --upstream http://127.0.0.1:PORT/mcp',
    '    Press Ctrl-C to stop.',
    '',
  );
  console.log(lines.join('\n'));
}
