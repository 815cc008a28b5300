import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openLog, SECRET, seed, T0, tamper, tempDir } from './helpers.js';

/** `portcullis audit …` as a user runs it (needs `npm run build`, as `npm test` does first) */
const BIN = new URL('../../bin/portcullis.js', import.meta.url).pathname;
const run = (args: string[], env: Record<string, string> = { PORTCULLIS_SECRET: SECRET }) =>
  spawnSync(process.execPath, [BIN, 'audit', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent', PORTCULLIS_SECRET: '', PORTCULLIS_SECRET_FILE: '', ...env },
  });

const dir = tempDir();
const db = () => join(dir, 'portcullis.db');

describe('portcullis audit tail|query|export|verify|checkpoint (cli.audit)', () => {
  before(async () => {
    const store = openSqliteStore(db());
    const log = openLog(store, { checkpointFile: join(dir, 'audit-checkpoints.jsonl') });
    await seed(log, 12);
    await log.close();
    await store.close();
  });

  test('tail -n N prints the newest entries, oldest first (cli.audit.tail)', () => {
    const r = run(['tail', '-n', '3', '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^\s*10\s+\S+Z\s+token\.issued\s+user=bob\s+client=https:\/\/client\.example\/cimd\.json\s+subject=jti-10\s+\{"audience"/);
    assert.match(lines[2]!, /^\s*12\s+.*tool\.allowed.*user=bob.*client=static-cli.*subject=tool-12/);
  });

  test('query by user, type prefix and time, as JSON (cli.audit.query)', () => {
    const since = new Date(T0 + 2000).toISOString();
    const r = run(['query', '--user', 'alice', '--type', 'token.*', '--since', since, '--json', '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string; user_id: string });
    assert.deepEqual(entries.map((e) => [e.seq, e.type, e.user_id]), [[3, 'token.revoked', 'alice'], [7, 'token.revoked', 'alice'], [11, 'token.revoked', 'alice']]);
    const paged = run(['query', '--client', 'static-cli', '--limit', '2', '--data-dir', dir]);
    assert.equal(paged.stdout.trim().split('\n').length, 2);
    assert.match(paged.stderr, /more: --after 6/);
    assert.equal(run(['query', '--since', 'last tuesday', '--data-dir', dir]).status, 2, 'a bad time is a usage error');
  });

  test('export writes every entry as a JSON line, with its chain fields (cli.audit.export)', () => {
    const r = run(['export', '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; mac: string; prev_mac: string });
    assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(entries[1]!.prev_mac, entries[0]!.mac);
  });

  test('checkpoint appends a signed line to the external file (cli.audit.checkpoint)', () => {
    const file = join(dir, 'audit-checkpoints.jsonl');
    const before = readFileSync(file, 'utf8').trim().split('\n').length;
    const r = run(['checkpoint', '--data-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /checkpoint of seq 12 written/);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, before + 1);
    assert.equal((JSON.parse(lines.at(-1)!) as { seq: number }).seq, 12);
  });

  test('verify exits 0 on the intact log and 1 naming the seq and kind on tampering (cli.audit.verify)', () => {
    const ok = run(['verify', '--data-dir', dir]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /audit log verified: 12 entries, last seq 12, latest checkpoint seq 12/);

    tamper(db(), "UPDATE audit_log SET client_id = 'evil' WHERE seq = 4");
    const edited = run(['verify', '--data-dir', dir]);
    assert.equal(edited.status, 1);
    assert.match(edited.stdout, /TAMPERED/);
    assert.match(edited.stdout, /seq 4: edited: entry 4 fails its MAC/);

    tamper(db(), 'DELETE FROM audit_log WHERE seq > 10; DELETE FROM audit_checkpoints');
    const json = run(['verify', '--json', '--data-dir', dir]);
    assert.equal(json.status, 1);
    const report = JSON.parse(json.stdout) as { problems: { kind: string; seq: number }[] };
    assert.deepEqual(report.problems.map((p) => [p.kind, p.seq]), [['edited', 4], ['truncated', 11]]);
  });

  test('verify without the master secret is a configuration error, never a fresh secret (cli.audit.no-secret)', () => {
    const r = run(['verify', '--data-dir', dir], {});
    assert.equal(r.status, 78);
    assert.match(r.stderr, /PORTCULLIS_SECRET/);
    const wrong = run(['verify', '--data-dir', dir, '--checkpoints', join(dir, 'none.jsonl')], { PORTCULLIS_SECRET: 'x'.repeat(40) });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /recomputed.*different master secret/);
  });

  test('an unknown subcommand or flag is a usage error (cli.audit.usage)', () => {
    assert.equal(run(['rewrite']).status, 2);
    assert.equal(run(['tail', '--bogus']).status, 2);
  });
});
