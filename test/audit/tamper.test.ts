import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { deriveAuditKeys, readCheckpointFile, verifyAudit, type AuditProblemKind, type VerifyReport } from '../../src/audit/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { KEYS, readRows, recompute, seededFile, tamper } from './helpers.js';

const N = 12;

async function verifyFile(db: string, checkpoints: string | null, keys = KEYS): Promise<VerifyReport> {
  const store = openSqliteStore(db);
  try {
    return await verifyAudit({ store, keys, file: checkpoints ? readCheckpointFile(checkpoints) : null, fileName: checkpoints ?? 'none' });
  } finally {
    await store.close();
  }
}

function assertFirst(report: VerifyReport, kind: AuditProblemKind, seq: number): void {
  assert.equal(report.ok, false, 'tampering goes unnoticed');
  const first = report.problems[0];
  assert.deepEqual({ kind: first?.kind, seq: first?.seq }, { kind, seq }, JSON.stringify(report.problems, null, 2));
  assert.match(first!.message, new RegExp(`\\b${seq}\\b`), 'the message names the seq');
}

describe('ARCHITECTURE "Audit": verify finds any edited, inserted or deleted entry and says which', () => {
  test('the untampered log verifies (audit.verify.ok)', async () => {
    const { db, checkpoints } = await seededFile(N);
    const report = await verifyFile(db, checkpoints);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.entries, N);
    assert.equal(report.checkpoint?.seq, N);
  });

  test('an edited field fails the MAC of that entry (audit.verify.edit)', async () => {
    const { db, checkpoints } = await seededFile(N);
    tamper(db, "UPDATE audit_log SET user_id = 'mallory' WHERE seq = 5");
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'edited', 5);
    assert.equal(report.problems.length, 1, 'the entries after it still verify');
  });

  test('an edited entry whose mac was replaced too is still named (audit.verify.edit-mac)', async () => {
    const { db, checkpoints } = await seededFile(N);
    tamper(db, `UPDATE audit_log SET data = '{"reason":"none"}', mac = 'ff' WHERE seq = 7`);
    assertFirst(await verifyFile(db, checkpoints), 'edited', 7);
  });

  test('a deleted middle entry is a seq gap (audit.verify.delete)', async () => {
    const { db, checkpoints } = await seededFile(N);
    tamper(db, 'DELETE FROM audit_log WHERE seq = 5');
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'deleted', 5);
    assert.equal(report.problems.length, 1);
  });

  test('a deleted entry hidden by renumbering the rest is still found (audit.verify.delete-renumber)', async () => {
    const { db, checkpoints } = await seededFile(N);
    tamper(db, 'DELETE FROM audit_log WHERE seq = 5; UPDATE audit_log SET seq = -(seq - 1) WHERE seq > 5; UPDATE audit_log SET seq = -seq WHERE seq < 0;');
    assertFirst(await verifyFile(db, checkpoints), 'deleted', 5);
  });

  test('a cut tail is caught by the external checkpoint file (audit.verify.truncate)', async () => {
    const { db, checkpoints } = await seededFile(N);
    // the attacker removes the newest entries and the store's own checkpoints
    tamper(db, 'DELETE FROM audit_log WHERE seq > 8; DELETE FROM audit_checkpoints;');
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'truncated', 9);
    assert.match(report.problems[0]!.message, /audit-checkpoints\.jsonl/);
    // without the external file, the same cut is invisible: verify says so instead of passing silently
    const blind = await verifyFile(db, null);
    assert.equal(blind.ok, true);
    assert.match(blind.warnings.join('\n'), /deleted tail would go unnoticed/);
  });

  test('a cut tail is caught by the store checkpoints when only entries were deleted (audit.verify.truncate-store)', async () => {
    const { db } = await seededFile(N);
    tamper(db, 'DELETE FROM audit_log WHERE seq > 10');
    assertFirst(await verifyFile(db, null), 'truncated', 11);
  });

  test('a forged entry inserted in the middle is named (audit.verify.insert)', async () => {
    const { db, checkpoints } = await seededFile(N);
    const five = readRows(db).find((r) => r.seq === 5)!;
    tamper(db, 'UPDATE audit_log SET seq = -(seq + 1) WHERE seq > 5; UPDATE audit_log SET seq = -seq WHERE seq < 0;');
    tamper(
      db,
      `INSERT INTO audit_log (seq, time, type, user_id, client_id, subject, data, prev_mac, mac)
       VALUES (6, ?, 'login.success', 'mallory', NULL, 'mallory', '{"username":"mallory"}', ?, ?)`,
      five.time + 1,
      five.mac,
      'ab'.repeat(32),
    );
    assertFirst(await verifyFile(db, checkpoints), 'inserted', 6);
  });

  test('a forged entry appended at the end is named (audit.verify.insert-tail)', async () => {
    const { db, checkpoints } = await seededFile(N);
    const last = readRows(db).at(-1)!;
    tamper(db, `INSERT INTO audit_log VALUES (?, ?, 'admin.action', 'mallory', NULL, NULL, '{"action":"grant-admin"}', ?, ?)`, N + 1, last.time, last.mac, 'cd'.repeat(32));
    assertFirst(await verifyFile(db, checkpoints), 'edited', N + 1);
  });

  test('two swapped entries are reported as reordered (audit.verify.reorder)', async () => {
    const { db, checkpoints } = await seededFile(N);
    tamper(db, 'UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = -1;');
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'reordered', 3);
    assert.match(report.problems[0]!.message, /written as seq 7/);
  });

  test('a chain recomputed with another key fails from its first entry, and against the checkpoints (audit.verify.recompute)', async () => {
    const { db, checkpoints } = await seededFile(N);
    recompute(db, deriveAuditKeys('an-attacker-does-not-know-the-master-secret').chain);
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'recomputed', 1);
    assert.ok(report.problems.some((p) => p.kind === 'checkpoint-mismatch' && p.seq === N), 'the signed checkpoint disagrees');
  });

  test('an edit followed by a recomputation of the rest of the chain is named at the edit (audit.verify.recompute-from)', async () => {
    const { db, checkpoints } = await seededFile(N);
    recompute(db, deriveAuditKeys('attacker-key-attacker-key-attacker-key').chain, 6);
    assertFirst(await verifyFile(db, checkpoints), 'recomputed', 6);
  });

  test('a forged checkpoint is refused, and cannot extend the log (audit.verify.checkpoint-forged)', async () => {
    const { db, checkpoints } = await seededFile(N);
    appendFileSync(checkpoints, `${JSON.stringify({ seq: 50, mac: 'aa', time: 1, signature: 'bb' })}\n`);
    const report = await verifyFile(db, checkpoints);
    assertFirst(report, 'checkpoint-forged', 50);
    assert.equal(report.problems.length, 1, 'no truncation claimed from a forged checkpoint');
  });

  test('a malformed checkpoint file line is a warning, not a pass of the rest (audit.verify.checkpoint-file)', async () => {
    const { db, checkpoints } = await seededFile(N);
    appendFileSync(checkpoints, 'not json\n');
    const report = await verifyFile(db, checkpoints);
    assert.equal(report.ok, true);
    assert.match(report.warnings.join('\n'), /not checkpoints/);
    writeFileSync(checkpoints, '');
    tamper(db, 'DELETE FROM audit_log WHERE seq > 10');
    assertFirst(await verifyFile(db, checkpoints), 'truncated', 11);
  });

  test('verify with a different master secret fails everywhere and says it may be the key (audit.verify.wrong-key)', async () => {
    const { db } = await seededFile(N);
    tamper(db, 'DELETE FROM audit_checkpoints');
    const report = await verifyFile(db, null, deriveAuditKeys('some-other-master-secret-0123456789abcdef'));
    assertFirst(report, 'recomputed', 1);
    assert.match(report.problems[0]!.message, /different master secret/);
  });
});
