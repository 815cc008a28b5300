import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * Issue 11 item 4 "CLI reference": docs/cli.md describes every command the CLI dispatches and every flag each command
 * parses. Commands come from src/cli/main.ts's dispatch; flags from the `parseArgs` option objects (and `--x` tests
 * of argv) in the module each command imports, so a new command or flag without documentation fails here.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const doc = read('docs/cli.md');

/** the `## portcullis <cmd>` section of the reference */
function section(cmd: string): string {
  const start = doc.indexOf(`\n## portcullis ${cmd}\n`);
  assert.ok(start >= 0, `docs/cli.md has a section "## portcullis ${cmd}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** long and short flags a CLI module parses */
function flagsOf(source: string): string[] {
  const flags = new Set<string>();
  for (const m of source.matchAll(/(?:'([a-z][a-z-]*)'|\b([a-z][a-zA-Z]*)): \{ type: '(?:string|boolean)'(?:, (?:multiple: true, )?short: '([a-z])')?/g)) {
    flags.add(`--${m[1] ?? m[2]}`);
    if (m[3]) flags.add(`-${m[3]}`);
  }
  for (const m of source.matchAll(/args\.includes\('(--[a-z-]+)'\)/g)) flags.add(m[1]!);
  return [...flags];
}

/** the module a dispatched command is implemented in, from main.ts's `case 'x': … import('./y.js')` */
function dispatch(): Map<string, string[]> {
  const main = read('src/cli/main.ts');
  const commands = new Map<string, string[]>();
  for (const m of main.matchAll(/case '([a-z]+)':\s*return await \(await import\('([^']+)'\)\)/g)) {
    commands.set(m[1]!, [join('src/cli', m[2]!.replace(/\.js$/, '.ts'))]);
  }
  return commands;
}

/** flag sets shared by many commands, and the modules that define them */
const SHARED: Record<string, string> = { STORE_OPTIONS: 'src/cli/open-store.ts', REMOTE_OPTIONS: 'src/cli/remote.ts', SERVE_OPTIONS: 'src/cli/args.ts' };

test('every command of the CLI has a section in docs/cli.md (docs.cli-reference)', () => {
  const commands = dispatch();
  assert.ok(commands.size >= 10, `main.ts dispatches its commands (${[...commands.keys()].join(', ')})`);
  for (const cmd of [...commands.keys(), 'help']) section(cmd);
});

test('every flag a command parses is described in its section (docs.cli-reference)', () => {
  const missing: string[] = [];
  for (const [cmd, files] of dispatch()) {
    const sources = files.map(read);
    for (const [name, file] of Object.entries(SHARED)) if (sources.some((s) => s.includes(name))) sources.push(read(file));
    const text = section(cmd);
    for (const flag of new Set(sources.flatMap(flagsOf))) {
      if (!new RegExp(`(^|[^a-z-])${flag.replace(/-/g, '\\-')}([^a-z-]|$)`).test(text)) missing.push(`${cmd} ${flag}`);
    }
  }
  assert.deepEqual(missing, [], 'flags parsed but not documented in docs/cli.md');
});

test('the flag extraction sees real flags (the check above cannot pass vacuously) (docs.cli-reference)', () => {
  const audit = flagsOf(read('src/cli/audit.ts'));
  for (const f of ['--after', '--checkpoints', '--config', '--follow', '-f', '--lines', '-n', '--type']) assert.ok(audit.includes(f), f);
  assert.ok(flagsOf(read('src/cli/args.ts')).includes('--upstream-stdio'));
  assert.ok(flagsOf(read('src/cli/init.ts')).includes('--force'));
});
