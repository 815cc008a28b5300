import { assertContinues } from '../sqlite/audit.js';
import type { AuditCheckpointRecord, AuditFilter, AuditHead, AuditRow } from '../types.js';
import { all, LOCK, lockSql, one, transaction, type Pool } from './db.js';
import { toAudit } from './rows.js';

const HEAD = 'SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1';
const COLUMNS = 'seq, time, type, user_id, client_id, subject, data, prev_mac, mac';
const INSERT_CHUNK = 1000;

/**
 * The audit log on PostgreSQL. An append is one transaction that takes a transaction-scoped advisory lock before
 * it reads the head, so appends from every instance serialize into one gap-free chain (a second writer that read
 * the same head would also fail on the seq primary key, never fork the chain). The commit is synchronous even if
 * the server runs with synchronous_commit = off, so `appendAudit` resolves only once the entries are durable.
 */
export class PostgresAuditLog {
  constructor(private readonly pool: Pool) {}

  async appendAudit(build: (head: AuditHead | null) => AuditRow[]): Promise<AuditRow[]> {
    return transaction(this.pool, async (c) => {
      await c.query(lockSql(LOCK.audit));
      await c.query('SET LOCAL synchronous_commit = on');
      const head = await one<AuditHead>(c, HEAD);
      const rows = build(head);
      assertContinues(head, rows);
      // several rows per INSERT, in chunks that stay far below the protocol's 65,535 parameters
      for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
        const chunk = rows.slice(at, at + INSERT_CHUNK);
        const values = chunk.map((_, i) => `(${Array.from({ length: 9 }, (_, j) => `$${i * 9 + j + 1}`).join(', ')})`);
        await c.query(
          `INSERT INTO audit_log (${COLUMNS}) VALUES ${values.join(', ')}`,
          chunk.flatMap((r) => [r.seq, r.time, r.type, r.user_id, r.client_id, r.subject, r.data, r.prev_mac, r.mac]),
        );
      }
      return rows;
    });
  }

  async getAuditHead(): Promise<AuditHead | null> {
    return one<AuditHead>(this.pool, HEAD);
  }

  async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown): string => `$${params.push(v)}`;
    const columns: [keyof AuditFilter, (p: string) => string][] = [
      ['user_id', (p) => `user_id = ${p}`],
      ['client_id', (p) => `client_id = ${p}`],
      ['since', (p) => `time >= ${p}`],
      ['until', (p) => `time < ${p}`],
      ['after_seq', (p) => `seq > ${p}`],
      ['before_seq', (p) => `seq < ${p}`],
    ];
    for (const [name, condition] of columns) {
      if (f[name] !== undefined) where.push(condition(param(f[name])));
    }
    if (f.types?.length) {
      const alternatives = f.types.map((t) => {
        if (!t.endsWith('.*')) return `type = ${param(t)}`;
        const p = `${param(t.slice(0, -1))}::text`;
        // left(), not LIKE: type names may contain _ and %
        return `left(type, length(${p})) = ${p}`;
      });
      where.push(`(${alternatives.join(' OR ')})`);
    }
    const limit = param(Math.max(0, Math.floor(f.limit)));
    const rows = await all<AuditRow>(
      this.pool,
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ${limit}`,
      params,
    );
    return rows.map(toAudit);
  }

  async putAuditCheckpoint(c: AuditCheckpointRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO audit_checkpoints (seq, mac, time, signature) VALUES ($1, $2, $3, $4) ON CONFLICT (seq) DO NOTHING',
      [c.seq, c.mac, c.time, c.signature],
    );
  }

  async listAuditCheckpoints(): Promise<AuditCheckpointRecord[]> {
    return all<AuditCheckpointRecord>(this.pool, 'SELECT seq, mac, time, signature FROM audit_checkpoints ORDER BY seq');
  }
}
