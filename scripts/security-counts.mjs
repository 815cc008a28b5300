#!/usr/bin/env node
// Issue 10: the numbers the README reports about the security evidence, computed rather than typed. Lists every
// test in test/attacks/ and test/fuzz/ through node's test runner (a name pattern that matches nothing: each case
// is listed as skipped, none runs) and reads the default FUZZ_RUNS from test/fuzz/fuzz-helpers.ts.
//   node scripts/security-counts.mjs            print the README line
//   node scripts/security-counts.mjs --json     the numbers as JSON
//   node scripts/security-counts.mjs --write    rewrite the line in README.md (between the security-counts markers)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const testFiles = (dir) => readdirSync(dir).filter((n) => n.endsWith('.test.ts')).sort().map((n) => join(dir, n));

function listCases(files) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', '--test-name-pattern=^$never-matches^', ...files], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const names = [...r.stdout.matchAll(/^\s*ok \d+ - (.*) # SKIP/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`no test listed:\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return names;
}

export function securityCounts() {
  const attackFiles = testFiles('test/attacks');
  const attacks = listCases(attackFiles);
  const fuzz = listCases(testFiles('test/fuzz'));
  const runs = Number(/FUZZ_RUNS \?\? (\d+)/.exec(readFileSync('test/fuzz/fuzz-helpers.ts', 'utf8'))?.[1]);
  return {
    attackCases: attacks.length,
    attackFiles: attackFiles.length,
    mutationTagged: attacks.filter((n) => /\[bites: /.test(n)).length,
    fuzzProperties: fuzz.length,
    fuzzRunsPerProperty: runs,
    fuzzRuns: fuzz.length * runs,
  };
}

export const readmeLine = (c) =>
  `${c.attackCases} attack cases in ${c.attackFiles} files (test/attacks/, ${c.mutationTagged} of them tagged for the mutation run, \`npm run mutation\`) and ${c.fuzzProperties} fuzz properties × ${c.fuzzRunsPerProperty} runs = ${c.fuzzRuns} fuzz runs run in every \`npm test\` (\`FUZZ_RUNS=10000 node scripts/run-tests.mjs test/fuzz\` for a long run).`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const c = securityCounts();
  if (process.argv.includes('--json')) console.log(JSON.stringify(c));
  else if (process.argv.includes('--write')) {
    const readme = readFileSync('README.md', 'utf8');
    const re = /(<!-- security-counts -->)[\s\S]*?(<!-- \/security-counts -->)/;
    if (!re.test(readme)) throw new Error('README.md has no <!-- security-counts --> markers');
    writeFileSync('README.md', readme.replace(re, `$1${readmeLine(c)}$2`));
    console.log(readmeLine(c));
  } else console.log(readmeLine(c));
}
