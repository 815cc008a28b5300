/**
 * Issue 10 "How it is shown": the attack suite has at least 120 cases, the README reports the computed counts of
 * attack cases and fuzz runs, and SECURITY.md links every attack and fuzz test file and names every control the
 * mutation run can switch off.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/portcullis-process.js';

interface Counts { attackCases: number; attackFiles: number; mutationTagged: number; fuzzProperties: number; fuzzRunsPerProperty: number; fuzzRuns: number }

describe('security evidence is counted, reported and linked (sec.attack-suite)', () => {
  it('at least 120 attack cases, and the README line is the computed one (sec.attack-suite, sec.fuzz)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['scripts/security-counts.mjs', '--json'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Counts;
    assert.ok(c.attackCases >= 120, `${c.attackCases} attack cases`);
    assert.ok(c.mutationTagged > 0);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const line = /<!-- security-counts -->([\s\S]*?)<!-- \/security-counts -->/.exec(readme)?.[1] ?? '';
    assert.match(line, new RegExp(`^${c.attackCases} attack cases in ${c.attackFiles} files .*${c.mutationTagged} of them .*${c.fuzzProperties} fuzz properties × ${c.fuzzRunsPerProperty} runs = ${c.fuzzRuns} fuzz runs`), 'README is current: run `node scripts/security-counts.mjs --write`');
  });

  it('SECURITY.md links every attack and fuzz test and names every control switch (sec.attack-suite, sec.mutation)', () => {
    const security = readFileSync(join(REPO_ROOT, 'SECURITY.md'), 'utf8');
    for (const dir of ['test/attacks', 'test/fuzz']) {
      for (const f of readdirSync(join(REPO_ROOT, dir)).filter((n) => n.endsWith('.test.ts'))) assert.ok(security.includes(`(${dir}/${f})`), `SECURITY.md links ${dir}/${f}`);
    }
    const controls = [...readFileSync(join(REPO_ROOT, 'src/core/controls.ts'), 'utf8').matchAll(/\| '([a-z0-9.-]+)'/g)].map((m) => m[1]!);
    assert.ok(controls.length > 20);
    for (const c of controls) assert.ok(security.includes(`\`${c}\``), `SECURITY.md names control ${c}`);
    assert.ok(security.includes('(docs/deployment.md)'));
    assert.match(security, /## Reporting a vulnerability/);
  });
});
