import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { exportAudit, queryAudit, readCheckpointFile, tailAudit, verifyAudit } from '../../src/audit/index.js';
import { parseTime } from '../../src/audit/query.js';
import { openMemoryStore } from '../../src/store/sqlite/index.js';
import { KEYS, openLog, seed, T0, tempDir } from './helpers.js';

/** waits until `cond` holds (at most 5 s) */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 5000; !(await cond()); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const token = { grant_type: 'authorization_code', jti: 'jti-1', scope: ['notes:read'], audience: 'https://mcp.example/mcp' };

describe('ARCHITECTURE "Audit": the audit log API (audit.log)', () => {
  test('record resolves with the durable entry: actor, subject from the data, data as given (audit.log.record)', async () => {
    const store = openMemoryStore();
    const log = openLog(store);
    const entry = await log.record('token.issued', token, { user_id: 'alice', client_id: 'c1' });
    assert.deepEqual(
      { seq: entry.seq, type: entry.type, user_id: entry.user_id, client_id: entry.client_id, subject: entry.subject, data: entry.data },
      { seq: 1, type: 'token.issued', user_id: 'alice', client_id: 'c1', subject: 'jti-1', data: token },
    );
    assert.equal((await store.listAudit({ limit: 10 }))[0]?.mac, entry.mac, 'in the store when record resolves');
    const fetch = await log.record('client.fetch', { url: 'https://c.example/cimd', address: '203.0.113.5', outcome: 'ok' });
    assert.deepEqual([fetch.seq, fetch.subject, fetch.user_id], [2, 'https://c.example/cimd', null]);
    await log.close();
    await assert.rejects(log.record('login.success', { username: 'x' }), /closed/);
    await store.close();
  });

  test('a token or secret in the data is refused before anything is written (audit.log.no-secrets)', async () => {
    const store = openMemoryStore();
    const log = openLog(store);
    const leaky = { ...token, refresh_token: 'rt-plain' } as typeof token;
    await assert.rejects(log.record('token.issued', leaky), /never record a token or secret/);
    assert.equal(await store.getAuditHead(), null);
    await log.close();
    await store.close();
  });

  test('batched events are appended within the batch interval, at batchMax, and on close (audit.log.batched)', async () => {
    const store = openMemoryStore();
    const log = openLog(store, { batchIntervalMs: 50, batchMax: 3 });
    const tool = { resource: 'https://mcp.example/mcp', tool: 'notes.read' };
    log.recordBatched('tool.allowed', tool, { user_id: 'alice' });
    assert.equal(await store.getAuditHead(), null, 'not written yet');
    await until(async () => (await store.getAuditHead())?.seq === 1); // flushed by the timer
    for (let i = 0; i < 3; i++) log.recordBatched('tool.denied', { ...tool, reason: 'insufficient_scope' });
    await new Promise((r) => setImmediate(r));
    assert.equal((await store.getAuditHead())?.seq, 4, 'flushed at batchMax');
    log.recordBatched('tool.allowed', tool);
    await log.record('login.success', { username: 'alice' });
    await log.close();
    const types = (await store.listAudit({ limit: 10 })).map((r) => r.type);
    assert.deepEqual(types, ['tool.allowed', 'tool.denied', 'tool.denied', 'tool.denied', 'login.success', 'tool.allowed']);
    await store.close();
  });

  test('checkpoints every N entries and on close, to the file and the store (audit.log.checkpoints)', async () => {
    const file = join(tempDir(), 'cp', 'audit-checkpoints.jsonl');
    const store = openMemoryStore();
    const log = openLog(store, { checkpointFile: file, checkpointEvery: 4 });
    await seed(log, 9);
    await until(() => readCheckpointFile(file)?.checkpoints.length === 2);
    assert.deepEqual(readCheckpointFile(file)?.checkpoints.map((c) => c.seq), [4, 8]);
    await log.record('login.failure', { username: 'x', reason: 'bad_password' });
    await log.close();
    assert.deepEqual((await store.listAuditCheckpoints()).map((c) => c.seq), [4, 8, 10]);
    assert.deepEqual(readCheckpointFile(file)?.checkpoints, await store.listAuditCheckpoints());
    const report = await verifyAudit({ store, keys: KEYS, file: readCheckpointFile(file) });
    assert.deepEqual([report.ok, report.checkpoint?.seq], [true, 10]);
    await store.close();
  });

  test('checkpoints on the timer only when there are new entries (audit.log.checkpoint-timer)', async () => {
    const file = join(tempDir(), 'audit-checkpoints.jsonl');
    const store = openMemoryStore();
    const log = openLog(store, { checkpointFile: file, checkpointIntervalMs: 50 });
    await seed(log, 3);
    await until(() => readCheckpointFile(file)?.checkpoints.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(readCheckpointFile(file)?.checkpoints.map((c) => c.seq), [3], 'nothing new, no checkpoint');
    await log.close();
    assert.equal(readCheckpointFile(file)?.checkpoints.length, 1, 'close adds none either');
    await store.close();
  });

  test('checkpoint() of an empty log writes nothing (audit.log.checkpoint-empty)', async () => {
    const dir = tempDir();
    const store = openMemoryStore();
    const log = openLog(store, { checkpointFile: join(dir, 'cp.jsonl') });
    assert.equal(await log.checkpoint(), null);
    await log.close();
    assert.equal(existsSync(join(dir, 'cp.jsonl')), false);
    await store.close();
  });
});

describe('ARCHITECTURE "Audit": query, tail and export (audit.query)', () => {
  test('query by user, client, type and time, paged by cursor (audit.query.filters)', async () => {
    const store = openMemoryStore();
    const log = openLog(store);
    await seed(log, 12); // times T0+1s … T0+12s; odd entries alice, even bob
    const alice = await queryAudit(store, { user_id: 'alice', limit: 4 });
    assert.deepEqual(alice.entries.map((e) => e.seq), [1, 3, 5, 7]);
    const rest = await queryAudit(store, { user_id: 'alice', limit: 4, after: alice.next! });
    assert.deepEqual([rest.entries.map((e) => e.seq), rest.next], [[9, 11], null]);
    const tokens = await queryAudit(store, { types: ['token.*'], client_id: 'static-cli' });
    assert.deepEqual(tokens.entries.map((e) => [e.seq, e.type]), [[3, 'token.revoked'], [6, 'token.issued']]);
    const window = await queryAudit(store, { since: T0 + 3000, until: T0 + 6000 });
    assert.deepEqual(window.entries.map((e) => e.seq), [3, 4, 5]);
    assert.deepEqual((await tailAudit(store, 3)).map((e) => e.seq), [10, 11, 12]);
    await log.close();
    await store.close();
  });

  test('export streams JSON lines that carry the chain, page by page (audit.query.export)', async () => {
    const store = openMemoryStore();
    const log = openLog(store);
    await seed(log, 5);
    const lines: string[] = [];
    for await (const line of exportAudit(store, { user_id: 'bob' })) lines.push(line);
    assert.ok(lines.every((l) => l.endsWith('\n')));
    const entries = lines.map((l) => JSON.parse(l) as { seq: number; mac: string; prev_mac: string; data: object });
    assert.deepEqual(entries.map((e) => e.seq), [2, 4]);
    assert.ok(entries.every((e) => e.mac.length === 64 && typeof e.data === 'object'));
    await log.close();
    await store.close();
  });

  test('times are ISO 8601 or a duration back from now', () => {
    assert.equal(parseTime('2025-06-15T00:00:00Z', 0), Date.UTC(2025, 5, 15));
    assert.equal(parseTime('2h', T0), T0 - 7_200_000);
    assert.equal(parseTime('15m', T0), T0 - 900_000);
    assert.equal(parseTime('yesterday', T0), null);
  });
});

describe('issue 8 risk: checking a long chain never holds the server (audit.verify.yields)', () => {
  test('verification yields to the event loop between pages, and concurrent calls share one walk', async () => {
    const store = openMemoryStore();
    const log = openLog(store);
    await seed(log, 3500); // four pages of 1,000
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    const first = log.verify();
    const second = log.verify();
    assert.equal(second, first, 'one walk for both callers');
    const report = await first;
    clearInterval(tick);
    assert.equal(report.ok, true);
    assert.equal(report.entries, 3500);
    assert.ok(turns >= 1, `timers ran ${turns} times while the chain was walked`);
    const later = log.verify();
    assert.notEqual(later, first, 'a later call walks again');
    assert.equal((await later).ok, true);
    await log.close();
    await store.close();
  });
});
