#!/usr/bin/env node
// Issue 10 item 4: "each case is shown to bite". For every security control named in src/core/controls.ts that
// some attack case tags with `[bites: <control>]`, run exactly those cases with the control switched off
// (PORTCULLIS_MUTATE=<control>, through the test-only loader hook test/mutation/register.mjs) and require every
// one of them to FAIL. A case that still passes did not bite: it is listed and the run exits 1.
//
//   npm run mutation                    every control
//   npm run mutation -- rs.aud gw.origin   only these
//   MUTATION_JSON=out.json npm run mutation   also write the table as JSON
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';

const ATTACKS = 'test/attacks';
const TAG = /\[bites: ([^\]]+)\]/;

/** every tagged case as the test runner names it (table-driven titles expanded): control → { file → titles } */
export async function baseline(dir = ATTACKS) {
  const byControl = new Map();
  const broken = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.test.ts')).sort()) {
    const file = join(dir, name);
    if (!TAG.test(readFileSync(file, 'utf8'))) continue;
    const { results } = await runTap(file, {}, 'bites: ');
    for (const [title, passed] of results) {
      // a case that fails without any mutation proves nothing when it fails with one
      if (passed !== true) broken.push(title);
      for (const control of TAG.exec(title)[1].split(',').map((s) => s.trim())) {
        if (!byControl.has(control)) byControl.set(control, new Map());
        const files = byControl.get(control);
        if (!files.has(file)) files.set(file, []);
        files.get(file).push(title);
      }
    }
  }
  return { byControl, broken };
}

/** runs the test files with node's TAP reporter; resolves with { title → passed } for tagged titles */
function runTap(files, env, pattern, loader = false) {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', ...(loader ? ['--import', './test/mutation/register.mjs'] : []), '--test', '--test-reporter=tap', '--test-concurrency=1', '--test-timeout=30000', `--test-name-pattern=${pattern}`, ...[files].flat()];
    const childEnv = { ...process.env, ...env };
    delete childEnv.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('close', (code) => {
      // title → true (passed) | false (failed in its own code: an assertion) | 'setup' (cancelled, a hook failed…)
      const results = new Map();
      for (const m of out.matchAll(/^(\s*)(not ok|ok) \d+ - (.*?)(?: # (?:SKIP|TODO).*)?\n((?:\1 {2}.*\n)*)/gm)) {
        if (!TAG.test(m[3])) continue;
        if (m[2] === 'ok') results.set(m[3], true);
        // its own assertion failed, or it hung (a mutated server that never answers); not a failed hook or a cancellation
        else results.set(m[3], /failureType: '(testCodeFailure|testTimeoutFailure)'/.test(m[4]) ? false : 'setup');
      }
      resolve({ code, results, out });
    });
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** runs the tagged cases of `control` with the control switched off; resolves with { title → passed } */
export function runMutated(control, files) {
  return runTap(files, { PORTCULLIS_MUTATE: control }, `bites: [^\\]]*${escape(control)}(,|\\])`, true);
}

async function main() {
  const only = process.argv.slice(2);
  const { byControl: tags, broken } = await baseline();
  if (broken.length) {
    console.error(`cases failing WITHOUT any mutation (fix them first):\n  ${broken.join('\n  ')}`);
    process.exit(2);
  }
  const controls = [...tags.keys()].filter((c) => only.length === 0 || only.includes(c)).sort();
  const declared = [...readFileSync('src/core/controls.ts', 'utf8').matchAll(/\| '([a-z0-9.-]+)'/g)].map((m) => m[1]);
  const rows = [];
  const parallel = Math.max(1, Math.min(Number(process.env.MUTATION_JOBS ?? 1), cpus().length));
  const queue = [...controls];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let control = queue.shift(); control; control = queue.shift()) {
        const files = tags.get(control);
        const titles = [...files.values()].flat();
        const { results, out } = await runMutated(control, [...files.keys()]);
        // bitten = failed in the case's own assertions; cancelled cases or cases that did not run count as not bitten
        const survived = titles.filter((title) => results.get(title) !== false);
        const missing = titles.filter((title) => results.get(title) === undefined || results.get(title) === 'setup');
        rows.push({ control, cases: titles.length, bitten: titles.length - survived.length, survived, missing });
        process.stderr.write(`${control}: ${titles.length - survived.length}/${titles.length} bitten${missing.length ? ` (${missing.length} did not run or were cancelled)` : ''}\n`);
        if (missing.length && process.env.MUTATION_DEBUG) process.stderr.write(out);
      }
    }),
  );
  rows.sort((a, b) => a.control.localeCompare(b.control));
  const untested = declared.filter((c) => !tags.has(c));
  console.log(`\n| control | cases | bitten | not bitten |\n| --- | ---: | ---: | --- |`);
  for (const r of rows) console.log(`| ${r.control} | ${r.cases} | ${r.bitten} | ${r.survived.length ? r.survived.join('<br>') : '—'} |`);
  const total = rows.reduce((n, r) => n + r.cases, 0);
  const bitten = rows.reduce((n, r) => n + r.bitten, 0);
  console.log(`\n${rows.length} controls, ${total} tagged cases, ${bitten} bitten, ${total - bitten} not bitten (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (untested.length && only.length === 0) console.log(`controls with no tagged case: ${untested.join(', ')}`);
  if (process.env.MUTATION_JSON) writeFileSync(process.env.MUTATION_JSON, JSON.stringify({ rows, untested }, null, 2));
  process.exit(bitten === total ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
