import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';
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
 * The connection runs with synchronous = NORMAL (durable at WAL checkpoints); `appendAudit` still resolves only
 * once the entries are on disk, as under FULL, without blocking the event loop for the fsync (issue 9: ~3.5 ms
 * here, the token endpoint's largest cost): it commits under NORMAL — the WAL frames are written (OS page cache)
 * — and then fdatasyncs the WAL file in the thread pool and resolves only after that. The WAL holds the frames
 * of this commit and of every earlier one not yet checkpointed (a checkpoint syncs the WAL and the database file
 * itself), so once the sync returns the entries, and the grant / code / refresh rows written before them,
 * survive a power loss exactly as under FULL.
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

  /** the WAL file, opened once for fdatasync (reopened if SQLite ever replaced the file) */
  private wal: { fd: number; ino: number } | null = null;

  async appendAudit(build: (head: AuditHead | null) => AuditRow[]): Promise<AuditRow[]> {
    if (this.db.memory) return this.append(build);
    const rows = this.append(build);
    await this.syncWal();
    return rows;
  }

  private walFd(): number {
    const path = `${this.db.name}-wal`;
    const ino = statSync(path).ino;
    if (this.wal && this.wal.ino === ino) return this.wal.fd;
    // SQLite replaced the file (never while this connection is open, in WAL mode): fsync the new one from now on;
    // the old descriptor is closed once the syncs on it are done
    const old = this.wal;
    if (old) void Promise.allSettled([...this.syncing]).then(() => closeSync(old.fd));
    const fd = openSync(path, 'r');
    this.wal = { fd, ino: fstatSync(fd).ino };
    return fd;
  }

  private readonly syncing = new Set<Promise<void>>();

  private syncWal(): Promise<void> {
    const fd = this.walFd();
    const p = new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.syncing.add(p);
    const forget = () => void this.syncing.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** waits for the WAL syncs under way, then closes the WAL descriptor (the store's close) */
  async closeWal(): Promise<void> {
    await Promise.allSettled([...this.syncing]);
    if (this.wal) closeSync(this.wal.fd);
    this.wal = null;
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
