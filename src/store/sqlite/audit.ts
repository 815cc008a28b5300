import type { Database, Statement } from 'better-sqlite3';
import type { AuditCheckpointRecord, AuditFilter, AuditHead, AuditRow } from '../types.js';

/** rows must continue `head` one by one; the store checks the links, src/audit checks the MACs */
export function assertContinues(head: AuditHead | null, rows: AuditRow[]): void {
  let seq = head?.seq ?? 0;
  let mac = head?.mac ?? '';
  for (const r of rows) {
    if (r.seq !== seq + 1 || r.prev_mac !== mac) {
      throw new Error(`audit row ${r.seq} does not continue the chain at seq ${seq}`);
    }
    seq = r.seq;
    mac = r.mac;
  }
}

/**
 * The audit log on SQLite. An append is one IMMEDIATE transaction: the write lock is taken before the head is
 * read, so appends from every connection (other processes included) serialize into one gap-free chain.
 * The connection runs with synchronous = NORMAL (durable at WAL checkpoints); an audit append switches to FULL
 * for its own commit, so `appendAudit` resolves only once the entries are on disk.
 */
export class SqliteAuditLog {
  private readonly head: Statement<[], AuditHead>;
  private readonly insert: Statement<[AuditRow]>;
  private readonly putCheckpoint: Statement<[AuditCheckpointRecord]>;
  private readonly checkpoints: Statement<[], AuditCheckpointRecord>;
  private readonly lists = new Map<string, Statement<[Record<string, unknown>], AuditRow>>();
  private readonly append: (build: (head: AuditHead | null) => AuditRow[]) => AuditRow[];

  constructor(private readonly db: Database) {
    this.head = db.prepare('SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, time, type, user_id, client_id, subject, data, prev_mac, mac)
       VALUES (@seq, @time, @type, @user_id, @client_id, @subject, @data, @prev_mac, @mac)`,
    );
    this.putCheckpoint = db.prepare(
      `INSERT INTO audit_checkpoints (seq, mac, time, signature) VALUES (@seq, @mac, @time, @signature)
       ON CONFLICT (seq) DO NOTHING`,
    );
    this.checkpoints = db.prepare('SELECT seq, mac, time, signature FROM audit_checkpoints ORDER BY seq');
    const tx = db.transaction((build: (head: AuditHead | null) => AuditRow[]) => {
      const head = this.head.get() ?? null;
      const rows = build(head);
      assertContinues(head, rows);
      for (const r of rows) this.insert.run(r);
      return rows;
    });
    this.append = (build) => tx.immediate(build);
  }

  appendAudit(build: (head: AuditHead | null) => AuditRow[]): AuditRow[] {
    const durable = this.db.memory ? null : (this.db.pragma('synchronous', { simple: true }) as number);
    if (durable !== null) this.db.pragma('synchronous = FULL');
    try {
      return this.append(build);
    } finally {
      if (durable !== null) this.db.pragma(`synchronous = ${durable}`);
    }
  }

  getAuditHead(): AuditHead | null {
    return this.head.get() ?? null;
  }

  listAudit(f: AuditFilter): AuditRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: Math.max(0, Math.floor(f.limit)) };
    const columns: [keyof AuditFilter, string][] = [
      ['user_id', 'user_id = @user_id'],
      ['client_id', 'client_id = @client_id'],
      ['since', 'time >= @since'],
      ['until', 'time < @until'],
      ['after_seq', 'seq > @after_seq'],
      ['before_seq', 'seq < @before_seq'],
    ];
    for (const [name, condition] of columns) {
      if (f[name] === undefined) continue;
      where.push(condition);
      params[name] = f[name];
    }
    if (f.types?.length) {
      const alternatives = f.types.map((t, i) => {
        const prefix = t.endsWith('.*');
        params[`t${i}`] = prefix ? t.slice(0, -1) : t;
        // substr, not LIKE: type names may contain _ and %
        return prefix ? `substr(type, 1, length(@t${i})) = @t${i}` : `type = @t${i}`;
      });
      where.push(`(${alternatives.join(' OR ')})`);
    }
    const sql = `SELECT seq, time, type, user_id, client_id, subject, data, prev_mac, mac FROM audit_log
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT @limit`;
    let stmt = this.lists.get(sql);
    if (!stmt) this.lists.set(sql, (stmt = this.db.prepare(sql)));
    return stmt.all(params);
  }

  putAuditCheckpoint(c: AuditCheckpointRecord): void {
    this.putCheckpoint.run({ seq: c.seq, mac: c.mac, time: c.time, signature: c.signature });
  }

  listAuditCheckpoints(): AuditCheckpointRecord[] {
    return this.checkpoints.all();
  }
}
