#!/usr/bin/env node
import { statSync } from 'node:fs';

// issue 9: the esbuild bundle of the CLI (scripts/bundle-cli.mjs, written by `npm run build`) starts several
// times faster than the ~500 modules of dist/; it is used only when at least as new as tsc's output.
function entry() {
  try {
    const bundle = statSync(new URL('../dist/bundle/cli.mjs', import.meta.url)).mtimeMs;
    const tsc = statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs;
    if (bundle >= tsc && !process.env.PORTCULLIS_NO_BUNDLE) return '../dist/bundle/cli.mjs';
  } catch {
    // no bundle (or no dist/): dist/cli/main.js
  }
  return '../dist/cli/main.js';
}

const { main } = await import(entry());

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(`portcullis: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
