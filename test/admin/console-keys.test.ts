/**
 * Issue 8: rotating the signing keys is an audited admin action, through ONE function
 * (rotateSigningKeysAudited) for `portcullis keys rotate` and the console (the console side is exercised in
 * console-forms.test.ts and the browser test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rotateSigningKeysAudited } from '../../src/as/keys.js';
import { AuditLog, deriveAuditKeys, readCheckpointFile, verifyAudit } from '../../src/audit/index.js';
import { keysCommand } from '../../src/cli/keys.js';
import { loadMasterSecret } from '../../src/core/secret.js';
import { openStore } from '../../src/store/open.js';
import { openMemoryStore } from '../../src/store/sqlite/index.js';

const SECRET = 'k'.repeat(43);

describe('issue 8: keys rotate is audited for the CLI and the console alike (admin.keys.rotate-audited)', () => {
  let dir: string;
  const saved = process.env.PORTCULLIS_SECRET;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-keys-audit-'));
    process.env.PORTCULLIS_SECRET = SECRET;
  });
  after(() => {
    if (saved === undefined) delete process.env.PORTCULLIS_SECRET;
    else process.env.PORTCULLIS_SECRET = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('`portcullis keys rotate` writes an admin.action keys.rotate naming the operator, on a chain that verifies', async () => {
    const log = console.log;
    console.log = () => undefined;
    try {
      assert.equal(await keysCommand(['rotate', '--data-dir', dir]), 0, 'the first key (signs at once: nothing published yet)');
      assert.equal(await keysCommand(['rotate', '--data-dir', dir]), 0, 'a second key, published before it signs');
      assert.equal(await keysCommand(['rotate', '--data-dir', dir]), 1, 'a third rotation while a key waits is refused');
    } finally {
      console.log = log;
    }
    const store = await openStore(`sqlite:${join(dir, 'portcullis.db')}`);
    try {
      const rows = await store.listAudit({ types: ['admin.action'], limit: 10 });
      assert.equal(rows.length, 2, 'two entries: the refused rotation wrote nothing');
      const data = JSON.parse(rows[1]!.data) as { action: string; target: string; detail: { actor: string; via: string; retired: unknown[] } };
      assert.equal(data.action, 'keys.rotate');
      assert.equal(data.detail.via, 'cli');
      assert.match(data.detail.actor, /^cli:/);
      const keys = await store.listSigningKeys();
      assert.equal(data.target, keys.find((k) => k.retired_at === null)!.kid, 'the new kid');
      assert.equal(data.detail.retired.length, 1, 'the key signing before it retires');
      const report = await verifyAudit({ store, keys: deriveAuditKeys(loadMasterSecret(dir, process.env).key), file: readCheckpointFile(join(dir, 'audit-checkpoints.jsonl')) });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.ok(report.checkpoint, 'the CLI left a signed checkpoint');
    } finally {
      await store.close();
    }
  });

  it('rotateSigningKeysAudited: the rotation and its entry, with the administrator as actor; a refused rotation is not recorded', async () => {
    const store = openMemoryStore();
    await store.migrate();
    const audit = new AuditLog({ store, keys: deriveAuditKeys(SECRET), checkpointFile: null, checkpointIntervalMs: 0 });
    const secret = Buffer.from('s'.repeat(32));
    const o = { publishBeforeMs: 120_000, longestTokenMs: 630_000 };
    await rotateSigningKeysAudited(store, secret, 1_000, o, audit, { name: 'alice', via: 'console', user_id: 'user-1' });
    const { added, retired } = await rotateSigningKeysAudited(store, secret, 200_000, o, audit, { name: 'alice', via: 'console', user_id: 'user-1' });
    await assert.rejects(rotateSigningKeysAudited(store, secret, 200_001, o, audit, { name: 'alice', via: 'console' }), /already waiting to sign/);
    const rows = await store.listAudit({ types: ['admin.action'], limit: 10 });
    assert.equal(rows.length, 2);
    const last = rows[1]!;
    assert.equal(last.user_id, 'user-1');
    assert.deepEqual(JSON.parse(last.data), {
      action: 'keys.rotate',
      target: added.kid,
      detail: { actor: 'alice', via: 'console', activates_at: 320_000, retired: retired.map((k) => ({ kid: k.kid, retired_at: 950_000 })) },
    });
    await audit.close();
    await store.close();
  });
});
