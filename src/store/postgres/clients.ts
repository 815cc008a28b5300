import { REGISTRATION_TOMBSTONE_MS, type ClientTrustRecord, type RegisteredClientRecord } from '../types.js';
import { all, one, run, transaction, type Pool, type Queryable } from './db.js';
import { toRegistered, toTrust, type RegisteredRow } from './rows.js';

type Observation = { client_id: string; document: string; version: string; now: number };
type Decision = { client_id: string; status: 'approved' | 'denied'; by: string; now: number; expected_version: string | null };

const INSERT_TRUST = `INSERT INTO client_trust (client_id, status, document, version, first_seen_at, updated_at, decided_by, decided_at, decided_version)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_id) DO NOTHING RETURNING *`;

/**
 * Client trust decisions and registered clients on PostgreSQL. An observation is one transaction holding the
 * record's row lock from read to write; a decision is one compare-and-set UPDATE on the expected version, so two
 * instances never both decide on, or overwrite, each other's snapshot.
 */
export class PostgresClients {
  constructor(private readonly pool: Pool) {}

  async getTrust(client_id: string): Promise<ClientTrustRecord | null> {
    const row = await one<ClientTrustRecord>(this.pool, 'SELECT * FROM client_trust WHERE client_id = $1', [client_id]);
    return row ? toTrust(row) : null;
  }

  async observe(o: Observation): Promise<ClientTrustRecord> {
    return transaction(this.pool, async (c) => {
      // first sight: a pending record (a concurrent first sight waits for this insert, then takes the path below)
      const inserted = await one<ClientTrustRecord>(c, INSERT_TRUST, [o.client_id, 'pending', o.document, o.version, o.now, o.now, null, null, null]);
      if (inserted) return toTrust(inserted);
      const row = await one<ClientTrustRecord>(c, 'SELECT * FROM client_trust WHERE client_id = $1 FOR UPDATE', [o.client_id]);
      if (!row) throw new Error('client trust record vanished while it was observed');
      // a denial is by client_id and outlives document changes; the same version needs nothing
      if (row.status === 'denied' || row.version === o.version) return toTrust(row);
      const updated = await one<ClientTrustRecord>(
        c,
        `UPDATE client_trust SET status = 'pending', document = $2, version = $3, updated_at = $4
         WHERE client_id = $1 RETURNING *`,
        [o.client_id, o.document, o.version, o.now],
      );
      return toTrust(updated!);
    });
  }

  async decide(d: Decision): Promise<ClientTrustRecord | null> {
    return transaction(this.pool, async (c) => {
      const decided = await this.decideExisting(c, d);
      if (decided) return decided;
      const exists = await one(c, 'SELECT 1 FROM client_trust WHERE client_id = $1', [d.client_id]);
      if (exists || d.status !== 'denied' || d.expected_version !== null) return null; // document changed, or nothing to approve
      // a client denied before it was ever seen: no document yet
      const ahead = await one<ClientTrustRecord>(c, INSERT_TRUST, [d.client_id, 'denied', 'null', '', d.now, d.now, d.by, d.now, '']);
      if (ahead) return toTrust(ahead);
      // first seen by another instance meanwhile: an unconditional denial applies to that record
      return this.decideExisting(c, d);
    });
  }

  /** the compare-and-set: decides for the current version only if it is still the expected one */
  private async decideExisting(c: Queryable, d: Decision): Promise<ClientTrustRecord | null> {
    const row = await one<ClientTrustRecord>(
      c,
      `UPDATE client_trust SET status = $2, decided_by = $3, decided_at = $4, decided_version = version
       WHERE client_id = $1 AND ($5::text IS NULL OR version = $5) RETURNING *`,
      [d.client_id, d.status, d.by, d.now, d.expected_version],
    );
    return row ? toTrust(row) : null;
  }

  async listTrust(status?: ClientTrustRecord['status']): Promise<ClientTrustRecord[]> {
    const rows = await all<ClientTrustRecord>(
      this.pool,
      'SELECT * FROM client_trust WHERE $1::text IS NULL OR status = $1 ORDER BY first_seen_at, client_id',
      [status ?? null],
    );
    return rows.map(toTrust);
  }

  async createRegistered(c: RegisteredClientRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO registered_clients (client_id, client_secret_hash, metadata, client_id_issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [c.client_id, c.client_secret_hash, JSON.stringify(c.metadata), c.client_id_issued_at, c.expires_at],
    );
  }

  async getRegistered(client_id: string): Promise<RegisteredClientRecord | null> {
    const row = await one<RegisteredRow>(this.pool, 'SELECT * FROM registered_clients WHERE client_id = $1', [client_id]);
    return row ? toRegistered(row) : null;
  }

  async listRegistered(): Promise<RegisteredClientRecord[]> {
    const rows = await all<RegisteredRow>(this.pool, 'SELECT * FROM registered_clients ORDER BY client_id_issued_at, client_id');
    return rows.map(toRegistered);
  }

  /** expired registrations past their tombstone period; runs inside the store's purge transaction */
  async purge(c: Queryable, now: number): Promise<number> {
    return run(c, 'DELETE FROM registered_clients WHERE expires_at <= $1', [now - REGISTRATION_TOMBSTONE_MS]);
  }
}
