import type { Database, Statement } from 'better-sqlite3';
import { REGISTRATION_TOMBSTONE_MS, type ClientTrustRecord, type RegisteredClientRecord } from '../types.js';

interface RegisteredRow {
  client_id: string;
  client_secret_hash: string | null;
  metadata: string;
  client_id_issued_at: number;
  expires_at: number;
}

const toRegistered = (r: RegisteredRow): RegisteredClientRecord => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, unknown> });

type Decision = { client_id: string; status: 'approved' | 'denied'; by: string; now: number; expected_version: string | null };

/**
 * Client trust decisions and registered clients on SQLite. Every read-modify-write is one IMMEDIATE transaction
 * (the write lock is taken before the read), so instances sharing the file agree on each record.
 */
export class SqliteClients {
  private readonly q: {
    trust: Statement<[string], ClientTrustRecord>;
    insertTrust: Statement<[ClientTrustRecord]>;
    updateSnapshot: Statement<[{ client_id: string; document: string; version: string; now: number }]>;
    decide: Statement<[{ client_id: string; status: string; by: string; now: number }]>;
    listTrust: Statement<[{ status: string | null }], ClientTrustRecord>;
    insertRegistered: Statement<[RegisteredRow]>;
    registered: Statement<[string], RegisteredRow>;
    listRegistered: Statement<[], RegisteredRow>;
    purgeRegistered: Statement<[number]>;
  };
  readonly observe: (o: { client_id: string; document: string; version: string; now: number }) => ClientTrustRecord;
  readonly decide: (d: Decision) => ClientTrustRecord | null;

  constructor(db: Database) {
    this.q = {
      trust: db.prepare('SELECT * FROM client_trust WHERE client_id = ?'),
      insertTrust: db.prepare(
        `INSERT INTO client_trust (client_id, status, document, version, first_seen_at, updated_at, decided_by, decided_at, decided_version)
         VALUES (@client_id, @status, @document, @version, @first_seen_at, @updated_at, @decided_by, @decided_at, @decided_version)`,
      ),
      updateSnapshot: db.prepare(
        `UPDATE client_trust SET status = 'pending', document = @document, version = @version, updated_at = @now
         WHERE client_id = @client_id`,
      ),
      decide: db.prepare(
        `UPDATE client_trust SET status = @status, decided_by = @by, decided_at = @now, decided_version = version
         WHERE client_id = @client_id`,
      ),
      listTrust: db.prepare('SELECT * FROM client_trust WHERE @status IS NULL OR status = @status ORDER BY first_seen_at, client_id'),
      insertRegistered: db.prepare(
        `INSERT INTO registered_clients (client_id, client_secret_hash, metadata, client_id_issued_at, expires_at)
         VALUES (@client_id, @client_secret_hash, @metadata, @client_id_issued_at, @expires_at)`,
      ),
      registered: db.prepare('SELECT * FROM registered_clients WHERE client_id = ?'),
      listRegistered: db.prepare('SELECT * FROM registered_clients ORDER BY client_id_issued_at, client_id'),
      purgeRegistered: db.prepare('DELETE FROM registered_clients WHERE expires_at <= ?'),
    };
    const observe = db.transaction((o: { client_id: string; document: string; version: string; now: number }): ClientTrustRecord => {
      const row = this.q.trust.get(o.client_id);
      if (!row) {
        const rec: ClientTrustRecord = { client_id: o.client_id, status: 'pending', document: o.document, version: o.version, first_seen_at: o.now, updated_at: o.now, decided_by: null, decided_at: null, decided_version: null };
        this.q.insertTrust.run(rec);
        return rec;
      }
      // a denial is by client_id and outlives document changes; the same version needs nothing
      if (row.status === 'denied' || row.version === o.version) return row;
      this.q.updateSnapshot.run(o);
      return this.q.trust.get(o.client_id)!;
    });
    this.observe = (o) => observe.immediate(o);
    const decide = db.transaction((d: Decision): ClientTrustRecord | null => {
      const row = this.q.trust.get(d.client_id);
      if (!row) {
        if (d.status !== 'denied' || d.expected_version !== null) return null;
        // a client denied before it was ever seen: no document yet
        this.q.insertTrust.run({ client_id: d.client_id, status: 'denied', document: 'null', version: '', first_seen_at: d.now, updated_at: d.now, decided_by: d.by, decided_at: d.now, decided_version: '' });
        return this.q.trust.get(d.client_id)!;
      }
      if (d.expected_version !== null && row.version !== d.expected_version) return null;
      this.q.decide.run({ client_id: d.client_id, status: d.status, by: d.by, now: d.now });
      return this.q.trust.get(d.client_id)!;
    });
    this.decide = (d) => decide.immediate(d);
  }

  getTrust(client_id: string): ClientTrustRecord | null {
    return this.q.trust.get(client_id) ?? null;
  }

  listTrust(status?: ClientTrustRecord['status']): ClientTrustRecord[] {
    return this.q.listTrust.all({ status: status ?? null });
  }

  createRegistered(c: RegisteredClientRecord): void {
    this.q.insertRegistered.run({ ...c, metadata: JSON.stringify(c.metadata) });
  }

  getRegistered(client_id: string): RegisteredClientRecord | null {
    const row = this.q.registered.get(client_id);
    return row ? toRegistered(row) : null;
  }

  listRegistered(): RegisteredClientRecord[] {
    return this.q.listRegistered.all().map(toRegistered);
  }

  /** expired registrations past their tombstone period; runs inside the store's purge transaction */
  purge(now: number): number {
    return this.q.purgeRegistered.run(now - REGISTRATION_TOMBSTONE_MS).changes;
  }
}
