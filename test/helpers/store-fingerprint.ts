import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Store } from '../../src/store/types.js';

/**
 * Every row of every protocol table, hashed: "unchanged" means byte-for-byte the same rows. The audit tables
 * are left out on purpose: recording a refused attempt is the audit log's job, not a half-written change.
 */
const EXCLUDED = new Set(['audit_log', 'audit_checkpoints']);

export function storeFingerprint(store: Store): string {
  const db = (store as unknown as { db: Database.Database }).db;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[];
  const hash = createHash('sha256');
  for (const { name } of tables) {
    if (EXCLUDED.has(name)) continue;
    const rows = (db.prepare(`SELECT * FROM "${name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
    hash.update(name).update(JSON.stringify(rows));
  }
  return hash.digest('hex');
}
