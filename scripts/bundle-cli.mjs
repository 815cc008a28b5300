// issue 9 (start-up < 1 s): bundles the CLI (src/cli/main.ts and everything it imports) with esbuild into
// dist/bundle/ — ESM, split at every dynamic import so that what a command does not use (the checker, the
// MCP SDK of the demo, other commands) is neither read nor compiled. bin/portcullis.js loads dist/bundle/cli.mjs
// when it is at least as new as dist/cli/main.js (so a plain `tsc` build is never shadowed by a stale bundle),
// else dist/cli/main.js. Native and optional modules stay external and load from node_modules as before.
// Run by `npm run build` after tsc. Without esbuild (a dependency of tsx) it prints a note and leaves dist/ as tsc
// wrote it: the CLI then runs from dist/cli/main.js.
import { rmSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('bundle-cli: esbuild not installed; the CLI runs from dist/cli/main.js');
  process.exit(0);
}

rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // native addons, optional drivers and big optional tools: loaded from node_modules, when used
  external: ['better-sqlite3', 'pg', 'pg-native', 'ioredis', '@node-rs/argon2', 'playwright-core', 'playwright', 'esbuild'],
  // bundled CommonJS packages call require() for node: built-ins
  banner: { js: "import { createRequire as __portcullisCreateRequire } from 'node:module'; const require = __portcullisCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
// the entry is written last: its mtime marks the bundle as built after dist/cli/main.js
const now = new Date();
utimesSync(join(outdir, 'cli.mjs'), now, now);
