import Database, { type Statement } from 'better-sqlite3';
import { StoreConflictError, type DeviceCodeRecord, type DevicePollResult, type GrantRecord, type UserIdentityRecord, type UserRecord } from '../types.js';
import { devicePollStep, type DeviceDecision } from '../rules.js';
import { conflictAs } from './conflict.js';
import { grantRow, userRow } from './rows.js';
import type { Statements } from './statements.js';

interface DeviceRow extends Omit<DeviceCodeRecord, 'scope'> {
  scope: string;
}

const deviceRow = (d: DeviceCodeRecord): DeviceRow => ({ ...d, scope: JSON.stringify(d.scope) });
const toDevice = (r: DeviceRow): DeviceCodeRecord => ({ ...r, scope: JSON.parse(r.scope) as string[] });

/**
 * Issue 4 on SQLite: external identities linked to users, and RFC 8628 device codes. Every read-modify-write is one
 * IMMEDIATE transaction (the write lock is taken before the read), so instances sharing the file agree: a device code
 * is decided once and redeemed once.
 */
export class SqliteEnterprise {
  private readonly q: {
    identity: Statement<[string, string], UserIdentityRecord>;
    identitiesOf: Statement<[string], UserIdentityRecord>;
    insertIdentity: Statement<[UserIdentityRecord]>;
    touchIdentity: Statement<[{ issuer: string; subject: string; email: string | null; now: number }]>;
    deviceByUserCode: Statement<[string], DeviceRow>;
    deviceByHash: Statement<[string], DeviceRow>;
    deleteExpiredUserCode: Statement<[string, number]>;
    insertDevice: Statement<[DeviceRow]>;
    updateDevice: Statement<[DeviceRow]>;
    purge: Statement<[number]>;
  };
  private readonly linkTx: (identity: UserIdentityRecord, user?: UserRecord) => void;
  private readonly putDeviceTx: (d: DeviceCodeRecord) => void;
  private readonly decideTx: (user_code: string, decision: DeviceDecision, now: number) => DeviceCodeRecord | null;
  private readonly pollTx: (hash: string, now: number) => DevicePollResult;

  constructor(db: Database.Database, main: Statements) {
    this.q = {
      identity: db.prepare('SELECT * FROM user_identities WHERE issuer = ? AND subject = ?'),
      identitiesOf: db.prepare('SELECT * FROM user_identities WHERE user_id = ? ORDER BY created_at, issuer, subject'),
      insertIdentity: db.prepare(
        `INSERT INTO user_identities (issuer, subject, user_id, email, created_at, last_seen_at)
         VALUES (@issuer, @subject, @user_id, @email, @created_at, @last_seen_at)`,
      ),
      touchIdentity: db.prepare('UPDATE user_identities SET email = @email, last_seen_at = @now WHERE issuer = @issuer AND subject = @subject'),
      deviceByUserCode: db.prepare('SELECT * FROM device_codes WHERE user_code = ?'),
      deviceByHash: db.prepare('SELECT * FROM device_codes WHERE device_code_hash = ?'),
      deleteExpiredUserCode: db.prepare('DELETE FROM device_codes WHERE user_code = ? AND expires_at <= ?'),
      insertDevice: db.prepare(
        `INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, resource, status, user_id, grant_id, interval,
           last_polled_at, created_at, expires_at, consumed_at)
         VALUES (@device_code_hash, @user_code, @client_id, @scope, @resource, @status, @user_id, @grant_id, @interval,
           @last_polled_at, @created_at, @expires_at, @consumed_at)`,
      ),
      updateDevice: db.prepare(
        `UPDATE device_codes SET status = @status, scope = @scope, user_id = @user_id, grant_id = @grant_id, interval = @interval,
           last_polled_at = @last_polled_at, consumed_at = @consumed_at
         WHERE device_code_hash = @device_code_hash`,
      ),
      purge: db.prepare('DELETE FROM device_codes WHERE expires_at <= ?'),
    };

    const link = db.transaction((identity: UserIdentityRecord, user?: UserRecord) => {
      if (user) main.insertUser.run(userRow(user));
      this.q.insertIdentity.run(identity);
    });
    this.linkTx = (identity, user) => link.immediate(identity, user);

    const putDevice = db.transaction((d: DeviceCodeRecord) => {
      // a user code is unique among live codes only: an expired holder not yet purged gives way
      this.q.deleteExpiredUserCode.run(d.user_code, d.created_at);
      this.q.insertDevice.run(deviceRow(d));
    });
    this.putDeviceTx = (d) => putDevice.immediate(d);

    const decide = db.transaction((user_code: string, decision: DeviceDecision, now: number): DeviceCodeRecord | null => {
      const row = this.q.deviceByUserCode.get(user_code);
      if (!row || row.status !== 'pending' || row.expires_at <= now || row.consumed_at !== null) return null;
      const current = toDevice(row);
      let next: DeviceCodeRecord;
      if (decision.status === 'approved') {
        const grant: GrantRecord = decision.grant;
        const inserted = main.insertGrantIfNew.run(grantRow(grant));
        if (inserted.changes === 0) throw new StoreConflictError('grant already exists');
        next = { ...current, status: 'approved', user_id: decision.user_id, scope: decision.scope, grant_id: grant.id };
      } else {
        next = { ...current, status: 'denied' };
      }
      this.q.updateDevice.run(deviceRow(next));
      return next;
    });
    this.decideTx = (user_code, decision, now) => decide.immediate(user_code, decision, now);

    const poll = db.transaction((hash: string, now: number): DevicePollResult => {
      const row = this.q.deviceByHash.get(hash);
      const step = devicePollStep(row ? toDevice(row) : null, now);
      if (step.write) this.q.updateDevice.run(deviceRow(step.write));
      return step.result;
    });
    this.pollTx = (hash, now) => poll.immediate(hash, now);
  }

  getIdentity(issuer: string, subject: string): UserIdentityRecord | null {
    return this.q.identity.get(issuer, subject) ?? null;
  }

  listIdentities(user_id: string): UserIdentityRecord[] {
    return this.q.identitiesOf.all(user_id);
  }

  link(identity: UserIdentityRecord, user?: UserRecord): void {
    conflictAs(`identity ${identity.issuer} ${identity.subject} or its user already exists`, () => this.linkTx(identity, user));
  }

  touch(issuer: string, subject: string, email: string | null, now: number): void {
    this.q.touchIdentity.run({ issuer, subject, email, now });
  }

  putDevice(d: DeviceCodeRecord): void {
    conflictAs('device code or user code already exists', () => this.putDeviceTx(d));
  }

  deviceByUserCode(user_code: string, now: number): DeviceCodeRecord | null {
    const row = this.q.deviceByUserCode.get(user_code);
    return row && row.expires_at > now ? toDevice(row) : null;
  }

  decide(user_code: string, decision: DeviceDecision, now: number): DeviceCodeRecord | null {
    return this.decideTx(user_code, decision, now);
  }

  poll(hash: string, now: number): DevicePollResult {
    return this.pollTx(hash, now);
  }

  purge(now: number): number {
    return this.q.purge.run(now).changes;
  }
}
