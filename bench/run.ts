/**
 * `npm run bench`: runs every figure script one after another (never concurrently: they would share CPUs),
 * echoes each summary line, and writes bench/RESULTS.md (a Markdown table: median, spread, goal, pass/fail).
 * BENCH_BASE_DIR / BENCH_BASE_BIN (another checkout, e.g. the last commit built in /tmp/base) add "before"
 * rows measured in the same alternation (gateway-overhead, token-verify, footprint).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, passes, pct, type FigureResult } from './lib.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = ['gateway-overhead.ts', 'token-verify.ts', 'token-endpoint.ts', 'cimd.ts', 'footprint.ts'];

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-run-'));
const out = join(dir, 'results.jsonl');
const failed: string[] = [];
const started = Date.now();
for (const script of SCRIPTS) {
  process.stderr.write(`bench: ${script}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, script)], {
    env: { ...process.env, BENCH_OUT: out },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (r.status !== 0) failed.push(`${script} (${r.signal ?? `exit ${r.status}`})`);
}

let results: FigureResult[] = [];
try {
  results = readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FigureResult);
} catch {
  // no script reported
}
rmSync(dir, { recursive: true, force: true });

const cpu = cpus();
const lines = [
  '# Benchmark results',
  '',
  `Run ${new Date().toISOString()} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}/${process.arch}; ${((Date.now() - started) / 1000).toFixed(0)} s in all. Written by \`npm run bench\` (bench/run.ts).`,
  '',
  'Median over rounds; spread = (max − min) / median across rounds.',
  '',
  '| Figure | Metric | Median | Spread | Goal | Result |',
  '| --- | --- | ---: | ---: | --- | --- |',
];
for (const r of results) {
  for (const m of r.metrics) {
    const verdict = passes(m);
    lines.push(`| ${r.figure} | ${m.name} | ${fmt(m.stat.median)}${m.unit ? ' ' + m.unit : ''} | ${pct(m.stat.spread)} | ${m.goal?.text ?? '—'} | ${verdict === undefined ? 'reported' : verdict ? '**pass**' : '**FAIL**'} |`);
  }
}
const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `- ${r.figure}: ${n}`));
if (notes.length > 0) lines.push('', ...notes);
if (failed.length > 0) lines.push('', `Scripts that failed: ${failed.join(', ')}`);
writeFileSync(join(HERE, 'RESULTS.md'), lines.join('\n') + '\n');
process.stderr.write(`bench: wrote bench/RESULTS.md${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}\n`);
if (failed.length > 0) process.exitCode = 1;
