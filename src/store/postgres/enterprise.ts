import { StoreConflictError, type DeviceCodeRecord, type DevicePollResult, type UserIdentityRecord, type UserRecord } from '../types.js';
import { devicePollStep, type DeviceDecision } from '../rules.js';
import { all, conflictAs, one, run, transaction, type Pool, type Queryable } from './db.js';
import { grantParams } from './rows.js';
import { INSERT_GRANT_IF_NEW } from './tokens.js';

const INSERT_IDENTITY = `INSERT INTO user_identities (issuer, subject, user_id, email, created_at, last_seen_at)
  VALUES ($1, $2, $3, $4, $5, $6)`;
const UPDATE_DEVICE = `UPDATE device_codes SET status = $2, scope = $3, user_id = $4, grant_id = $5, interval = $6,
  last_polled_at = $7, consumed_at = $8 WHERE device_code_hash = $1`;

const updateParams = (d: DeviceCodeRecord): unknown[] => [
  d.device_code_hash,
  d.status,
  JSON.stringify(d.scope),
  d.user_id,
  d.grant_id,
  d.interval,
  d.last_polled_at,
  d.consumed_at,
];

/**
 * Issue 4 on PostgreSQL: external identities linked to users, and RFC 8628 device codes. A device decision and a poll
 * each run in one transaction holding the code's row lock (SELECT … FOR UPDATE) from read to write, so across
 * instances a code is decided once and an approval is redeemed once.
 */
export class PostgresEnterprise {
  constructor(private readonly pool: Pool) {}

  async getIdentity(issuer: string, subject: string): Promise<UserIdentityRecord | null> {
    return one<UserIdentityRecord>(this.pool, 'SELECT * FROM user_identities WHERE issuer = $1 AND subject = $2', [issuer, subject]);
  }

  async listIdentities(user_id: string): Promise<UserIdentityRecord[]> {
    return all<UserIdentityRecord>(this.pool, 'SELECT * FROM user_identities WHERE user_id = $1 ORDER BY created_at, issuer, subject', [user_id]);
  }

  async link(identity: UserIdentityRecord, user?: UserRecord): Promise<void> {
    const i = identity;
    await conflictAs(`identity ${i.issuer} ${i.subject} or its user already exists`, () =>
      transaction(this.pool, async (c) => {
        if (user) {
          await c.query('INSERT INTO users (id, username, password_hash, roles, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
            user.id,
            user.username,
            user.password_hash,
            JSON.stringify(user.roles),
            user.disabled,
            user.created_at,
          ]);
        }
        await c.query(INSERT_IDENTITY, [i.issuer, i.subject, i.user_id, i.email, i.created_at, i.last_seen_at]);
      }),
    );
  }

  async touch(issuer: string, subject: string, email: string | null, now: number): Promise<void> {
    await run(this.pool, 'UPDATE user_identities SET email = $3, last_seen_at = $4 WHERE issuer = $1 AND subject = $2', [issuer, subject, email, now]);
  }

  async putDevice(d: DeviceCodeRecord): Promise<void> {
    await conflictAs('device code or user code already exists', () =>
      transaction(this.pool, async (c) => {
        // a user code is unique among live codes only: an expired holder not yet purged gives way
        await c.query('DELETE FROM device_codes WHERE user_code = $1 AND expires_at <= $2', [d.user_code, d.created_at]);
        await c.query(
          `INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, resource, status, user_id, grant_id, interval,
             last_polled_at, created_at, expires_at, consumed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            d.device_code_hash,
            d.user_code,
            d.client_id,
            JSON.stringify(d.scope),
            d.resource,
            d.status,
            d.user_id,
            d.grant_id,
            d.interval,
            d.last_polled_at,
            d.created_at,
            d.expires_at,
            d.consumed_at,
          ],
        );
      }),
    );
  }

  async deviceByUserCode(user_code: string, now: number): Promise<DeviceCodeRecord | null> {
    return one<DeviceCodeRecord>(this.pool, 'SELECT * FROM device_codes WHERE user_code = $1 AND expires_at > $2', [user_code, now]);
  }

  async decide(user_code: string, decision: DeviceDecision, now: number): Promise<DeviceCodeRecord | null> {
    return transaction(this.pool, async (c) => {
      const row = await one<DeviceCodeRecord>(c, 'SELECT * FROM device_codes WHERE user_code = $1 FOR UPDATE', [user_code]);
      if (!row || row.status !== 'pending' || row.expires_at <= now || row.consumed_at !== null) return null;
      let next: DeviceCodeRecord;
      if (decision.status === 'approved') {
        if ((await run(c, INSERT_GRANT_IF_NEW, grantParams(decision.grant))) === 0) throw new StoreConflictError('grant already exists');
        next = { ...row, status: 'approved', user_id: decision.user_id, scope: decision.scope, grant_id: decision.grant.id };
      } else {
        next = { ...row, status: 'denied' };
      }
      await c.query(UPDATE_DEVICE, updateParams(next));
      return next;
    });
  }

  async poll(hash: string, now: number): Promise<DevicePollResult> {
    return transaction(this.pool, async (c) => {
      const row = await one<DeviceCodeRecord>(c, 'SELECT * FROM device_codes WHERE device_code_hash = $1 FOR UPDATE', [hash]);
      const step = devicePollStep(row, now);
      if (step.write) await c.query(UPDATE_DEVICE, updateParams(step.write));
      return step.result;
    });
  }

  /** expired device codes; runs inside the store's purge transaction */
  async purge(c: Queryable, now: number): Promise<number> {
    return run(c, 'DELETE FROM device_codes WHERE expires_at <= $1', [now]);
  }
}
