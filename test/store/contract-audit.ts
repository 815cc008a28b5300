import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditHead, AuditRow, Store } from '../../src/store/types.js';
import { freshStore, T0 } from './fixtures.js';

/** rows continuing `head`; the store checks seq and links only (MACs are src/audit's business) */
export const auditRows = (head: AuditHead | null, items: Partial<AuditRow>[]): AuditRow[] => {
  let seq = head?.seq ?? 0;
  let prev_mac = head?.mac ?? '';
  return items.map((o) => {
    seq++;
    const row: AuditRow = {
      seq,
      time: T0 + seq,
      type: 'token.issued',
      user_id: null,
      client_id: null,
      subject: null,
      data: '{}',
      prev_mac,
      mac: `mac-${seq}-${Math.random().toString(36).slice(2)}`,
      ...o,
    };
    prev_mac = row.mac;
    return row;
  });
};

/** The audit part of the Store contract (ARCHITECTURE "Audit"). */
export function auditContract(open: () => Promise<Store>): void {
  describe('audit log', () => {
    const store = freshStore(open);

    test('appendAudit hands build the head and stores its rows in order (store.audit.append)', async () => {
      const s = store();
      assert.equal(await s.getAuditHead(), null);
      const heads: (AuditHead | null)[] = [];
      const first = await s.appendAudit((head) => (heads.push(head), auditRows(head, [{}, { user_id: 'u1' }])));
      const second = await s.appendAudit((head) => (heads.push(head), auditRows(head, [{ client_id: 'c1' }])));
      assert.deepEqual(heads, [null, { seq: 2, mac: first[1]!.mac }]);
      assert.deepEqual(await s.getAuditHead(), { seq: 3, mac: second[0]!.mac });
      assert.deepEqual(await s.listAudit({ limit: 10 }), [...first, ...second]);
    });

    test('rows that do not continue the head, or a build that throws, write nothing (store.audit.atomic)', async () => {
      const s = store();
      await s.appendAudit((head) => auditRows(head, [{}]));
      const before = await s.listAudit({ limit: 10 });
      await assert.rejects(s.appendAudit(() => auditRows(null, [{}])), /does not continue/);
      await assert.rejects(s.appendAudit((head) => auditRows(head, [{}]).map((r) => ({ ...r, prev_mac: 'x' }))), /does not continue/);
      await assert.rejects(s.appendAudit((head) => [...auditRows(head, [{}]), ...auditRows({ seq: 5, mac: 'y' }, [{}])]));
      await assert.rejects(
        s.appendAudit(() => {
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await s.listAudit({ limit: 10 }), before);
    });

    test('concurrent appends from one process form one gap-free chain (store.audit.serialized)', async () => {
      const s = store();
      await Promise.all(Array.from({ length: 50 }, () => s.appendAudit((head) => auditRows(head, [{}, {}]))));
      const rows = await s.listAudit({ limit: 1000 });
      assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 100 }, (_, i) => i + 1));
      rows.forEach((r, i) => assert.equal(r.prev_mac, i === 0 ? '' : rows[i - 1]!.mac));
    });

    test('listAudit filters by user, client, types (exact and prefix), time, cursor and order (store.audit.query)', async () => {
      const s = store();
      await s.appendAudit((head) =>
        auditRows(head, [
          { type: 'login.success', user_id: 'alice', time: T0 + 10 },
          { type: 'token.issued', user_id: 'alice', client_id: 'c1', time: T0 + 20 },
          { type: 'token.revoked', user_id: 'bob', client_id: 'c1', time: T0 + 30 },
          { type: 'tool.denied', user_id: 'bob', client_id: 'c2', time: T0 + 40 },
          { type: 'token_x.y', time: T0 + 50 },
        ]),
      );
      const seqs = async (f: Parameters<Store['listAudit']>[0]) => (await s.listAudit(f)).map((r) => r.seq);
      assert.deepEqual(await seqs({ user_id: 'alice', limit: 10 }), [1, 2]);
      assert.deepEqual(await seqs({ client_id: 'c1', limit: 10 }), [2, 3]);
      assert.deepEqual(await seqs({ types: ['token.*'], limit: 10 }), [2, 3], 'a prefix is literal: token_x does not match');
      assert.deepEqual(await seqs({ types: ['login.success', 'tool.denied'], limit: 10 }), [1, 4]);
      assert.deepEqual(await seqs({ since: T0 + 20, until: T0 + 40, limit: 10 }), [2, 3]);
      assert.deepEqual(await seqs({ user_id: 'bob', client_id: 'c2', limit: 10 }), [4]);
      assert.deepEqual(await seqs({ after_seq: 2, limit: 2 }), [3, 4]);
      assert.deepEqual(await seqs({ order: 'desc', limit: 2 }), [5, 4]);
      assert.deepEqual(await seqs({ order: 'desc', before_seq: 4, limit: 10 }), [3, 2, 1]);
    });

    test('checkpoints are kept by seq; a second of the same seq is ignored (store.audit.checkpoints)', async () => {
      const s = store();
      await s.putAuditCheckpoint({ seq: 7, mac: 'm7', time: T0, signature: 's7' });
      await s.putAuditCheckpoint({ seq: 3, mac: 'm3', time: T0, signature: 's3' });
      await s.putAuditCheckpoint({ seq: 7, mac: 'other', time: T0 + 1, signature: 'other' });
      assert.deepEqual(await s.listAuditCheckpoints(), [
        { seq: 3, mac: 'm3', time: T0, signature: 's3' },
        { seq: 7, mac: 'm7', time: T0, signature: 's7' },
      ]);
    });

    test('purgeExpired never touches the audit log', async () => {
      const s = store();
      await s.appendAudit((head) => auditRows(head, [{ time: 0 }]));
      await s.purgeExpired(T0 * 2);
      assert.equal((await s.listAudit({ limit: 10 })).length, 1);
    });
  });
}
