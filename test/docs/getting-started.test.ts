import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 11 "How it is shown": a tried-as-a-new-user run of docs/getting-started.md, command by command. Every ```sh
 * block of the guide runs in order, as written, in a fresh copy of the repository that reuses this checkout's
 * install (node_modules linked, as a user who ran the guide's `npm install` has it): only the port 8080 becomes a
 * free one. A block that starts a server runs in the background until it prints "Portcullis is ready."; every other
 * block must exit 0 and print what the guide says it prints.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const GUIDE = join(ROOT, 'docs/getting-started.md');

/** the ```sh blocks of a Markdown file, in order, with backslash-continued lines joined */
export function shellBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /^```sh\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push((m[1] as string).replace(/\\\n\s*/g, '').trim());
  return blocks;
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-guide-'));
const servers: ChildProcess[] = [];
after(() => {
  for (const s of servers) {
    try {
      if (s.pid && s.exitCode === null && s.signalCode === null) process.kill(-s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** a copy of the repository as a user would have it after `git clone` + `npm install` */
function checkout(): string {
  const dir = join(work, 'portcullis');
  // what a clone holds: every top-level entry git tracks (test/ and bench/ are not needed to follow the guide)
  const tracked = spawnSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const entries = new Set(tracked.map((f) => f.split('/')[0]!).filter((e) => !['test', 'bench', 'node_modules'].includes(e)));
  for (const entry of ['package.json', 'bin', 'src', 'scripts']) assert.ok(entries.has(entry), `git tracks ${entry}`);
  for (const entry of entries) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function startInBackground(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('bash', ['-c', cmd], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`"${cmd}" printed no "Portcullis is ready." in 180 s:\n${out}`)), 180_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Portcullis is ready.')) {
        clearTimeout(timer);
        resolvePromise(out);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`"${cmd}" exited with ${code} before it was ready:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return r();
    child.once('exit', () => r());
    process.kill(-child.pid, 'SIGINT');
  });
}

test('the getting-started guide runs command by command as a new user would (docs.getting-started)', { timeout: 600_000 }, async () => {
  const blocks = shellBlocks(readFileSync(GUIDE, 'utf8'));
  assert.ok(blocks.length >= 8, `the guide has its commands (${blocks.length} sh blocks)`);
  assert.equal(blocks[0], 'npm install && npm start', 'the guide starts with the README command');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes('npm install && npm start'), 'README and guide agree on the first command');

  const dir = checkout();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_PORT: String(port), NO_COLOR: '1' };
  delete env.PORTCULLIS_SECRET;
  const local = (cmd: string) => cmd.replaceAll('8080', String(port));
  let demo: ChildProcess | undefined;

  for (const [i, block] of blocks.entries()) {
    // the install this test reuses is the one the guide's first command made
    const cmd = local(i === 0 ? block.replace(/^npm install && /, '') : block);
    if (/\bnpm start\b|\bserve\b/.test(cmd)) {
      const serveEnv = i === 0 ? env : { ...env, PORTCULLIS_PORT: String(await freePort()) };
      const out = await startInBackground(cmd, dir, serveEnv);
      const started = servers[servers.length - 1]!;
      if (i === 0) {
        demo = started;
        assert.match(out, new RegExp(`MCP URL \\(paste into your client\\):\\s+http://127\\.0\\.0\\.1:${port}/mcp`));
        assert.match(out, /Demo login:\s+demo \/ \S+/);
      } else {
        await stop(started);
      }
      continue;
    }
    const r = spawnSync('bash', ['-c', cmd], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `guide step ${i + 1} "${block}" exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    if (cmd.includes('grep -i')) assert.match(r.stdout, /^www-authenticate: Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/im);
    if (cmd.includes('oauth-protected-resource')) assert.equal(JSON.parse(r.stdout).resource, `http://127.0.0.1:${port}/mcp`);
    if (cmd.includes('oauth-authorization-server')) assert.deepEqual(JSON.parse(r.stdout).code_challenge_methods_supported, ['S256']);
    if (cmd.includes(' init ')) assert.ok(existsSync(join(dir, 'my-portcullis.yaml')), 'init wrote the starter config');
  }
  assert.ok(demo, 'the demo server was started');
  await stop(demo);
  assert.ok(demo.exitCode !== null || demo.signalCode !== null, 'the demo server stopped on Ctrl-C');
});
