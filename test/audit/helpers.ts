import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { chainRows, toEntry } from '../../src/audit/chain.js';
import { AuditLog, deriveAuditKeys, type AuditLogOptions } from '../../src/audit/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { AuditRow, Store } from '../../src/store/types.js';

export const SECRET = 'audit-test-master-secret-0123456789abcdef';
export const KEYS = deriveAuditKeys(SECRET);
export const T0 = 1_750_000_000_000;

/** a clock that moves one second per reading */
export const steppingClock = (start = T0) => {
  let t = start;
  return () => (t += 1000);
};

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pc-audit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function openLog(store: Store, opts: Partial<AuditLogOptions> = {}): AuditLog {
  return new AuditLog({ store, keys: KEYS, clock: steppingClock(), checkpointFile: null, checkpointIntervalMs: 0, checkpointEvery: 1_000_000, ...opts });
}

/** `n` entries of varied types, users and clients; the security ones through record, tool calls batched */
export async function seed(log: AuditLog, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const user_id = i % 2 ? 'alice' : 'bob';
    const client_id = i % 3 ? 'https://client.example/cimd.json' : 'static-cli';
    switch (i % 4) {
      case 0:
        log.recordBatched('tool.allowed', { resource: 'https://mcp.example/mcp', tool: `tool-${i}`, jti: `jti-${i}` }, { user_id, client_id });
        await log.flush();
        break;
      case 1:
        await log.record('login.success', { username: user_id }, { user_id });
        break;
      case 2:
        await log.record('token.issued', { grant_type: 'authorization_code', jti: `jti-${i}`, scope: ['notes:read'], audience: 'https://mcp.example/mcp', grant_id: `g-${i}` }, { user_id, client_id });
        break;
      default:
        await log.record('token.revoked', { grant_id: `g-${i}`, reason: 'user' }, { user_id, client_id });
    }
  }
}

/** a SQLite store file with `n` entries and a checkpoint of the last, in `<dir>/audit-checkpoints.jsonl` too */
export async function seededFile(n: number): Promise<{ dir: string; db: string; checkpoints: string }> {
  const dir = tempDir();
  const db = join(dir, 'portcullis.db');
  const checkpoints = join(dir, 'audit-checkpoints.jsonl');
  const store = openSqliteStore(db);
  const log = openLog(store, { checkpointFile: checkpoints });
  await seed(log, n);
  await log.close();
  await store.close();
  return { dir, db, checkpoints };
}

/** raw SQL on the file, as an attacker with write access to the store would run it (triggers dropped first) */
export function tamper(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    if (params.length) db.prepare(sql).run(...params);
    else db.exec(sql);
  } finally {
    db.close();
  }
}

export function readRows(file: string): AuditRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[];
  } finally {
    db.close();
  }
}

/** rewrites entries from `from` on with a chain computed under `key` (an attacker's recomputation) */
export function recompute(file: string, key: Buffer, from = 1): void {
  const rows = readRows(file);
  const head = rows.find((r) => r.seq === from - 1) ?? null;
  const events = rows.filter((r) => r.seq >= from).map((r) => ({ ...toEntry(r), data: { ...toEntry(r).data, forged: true } }));
  const forged = chainRows(key, head && { seq: head.seq, mac: head.mac }, events);
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    const update = db.prepare('UPDATE audit_log SET data = @data, prev_mac = @prev_mac, mac = @mac WHERE seq = @seq');
    db.transaction(() => forged.forEach((r) => update.run(r)))();
  } finally {
    db.close();
  }
}
