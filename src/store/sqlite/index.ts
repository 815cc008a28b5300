import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  GRACE_RESPONSE_MAX_AGE_MS,
  type AuditCheckpointRecord,
  type AuditFilter,
  type AuditHead,
  type AuditRow,
  type AuthorizationCodeRecord,
  type ClientTrustRecord,
  type ConsentRecord,
  type ConsumeCodeResult,
  type DeviceCodeRecord,
  type DevicePollResult,
  type GrantFilter,
  type GrantRecord,
  type GrantSummary,
  type InteractionRecord,
  type RefreshTokenRecord,
  type RegisteredClientRecord,
  type RotateResult,
  type SessionRecord,
  type SigningKeyRecord,
  type Store,
  type UserIdentityRecord,
  type UserRecord,
} from '../types.js';
import type { DeviceDecision } from '../rules.js';
import {
  consentRow,
  interactionRow,
  toConsent,
  toInteraction,
  toSession,
  toSigningKey,
  toUser,
  userRow,
} from './rows.js';
import { SqliteAuditLog } from './audit.js';
import { conflictAs } from './conflict.js';
import { SqliteClients } from './clients.js';
import { SqliteEnterprise } from './enterprise.js';
import { configure, migrate } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';
import { SqliteTokens } from './tokens.js';

/**
 * The embedded store (ARCHITECTURE "Deployment"): one SQLite file in WAL mode. better-sqlite3 is synchronous,
 * so within one process every method runs to completion before the next; across processes sharing the file,
 * each single-use operation is one statement or one IMMEDIATE transaction (the write lock is taken before the
 * first read), so it holds there too. Grants, codes and tokens live in tokens.ts, the audit log in audit.ts, client
 * trust in clients.ts, identities and device codes in enterprise.ts.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly q: Statements;
  /** expired rows of every table, and grace responses past their window: one IMMEDIATE transaction */
  private readonly purgeTx: Database.Transaction<(now: number, grace_ms: number) => number>;
  private readonly audit: SqliteAuditLog;
  private readonly clients: SqliteClients;
  private readonly enterprise: SqliteEnterprise;
  private readonly tokens: SqliteTokens;

  constructor(readonly file: string) {
    const inMemory = file === ':memory:' || file === '';
    if (!inMemory) mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file, { timeout: 5000 });
    try {
      configure(this.db);
      migrate(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.q = prepareStatements(this.db);
    this.audit = new SqliteAuditLog(this.db);
    this.clients = new SqliteClients(this.db);
    this.enterprise = new SqliteEnterprise(this.db, this.q);
    this.tokens = new SqliteTokens(this.db, this.q);
    this.purgeTx = this.db.transaction((now: number, grace_ms: number) => {
      let deleted = 0;
      for (const purge of this.q.purge) deleted += purge.run({ now }).changes;
      deleted += this.clients.purge(now);
      deleted += this.enterprise.purge(now);
      this.q.clearGraceResponses.run(now - grace_ms);
      return deleted;
    });
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    await this.audit.closeWal();
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  // users

  async createUser(u: UserRecord): Promise<void> {
    conflictAs(`user ${u.username} already exists`, () => this.q.insertUser.run(userRow(u)));
  }

  async getUserByName(username: string): Promise<UserRecord | null> {
    const row = this.q.userByName.get(username);
    return row ? toUser(row) : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const row = this.q.userById.get(id);
    return row ? toUser(row) : null;
  }

  async updateUserPassword(id: string, password_hash: string): Promise<void> {
    this.q.setUserPassword.run(password_hash, id);
  }

  async updateUserRoles(id: string, roles: string[]): Promise<void> {
    this.q.setUserRoles.run(JSON.stringify(roles), id);
  }

  async setUserDisabled(id: string, disabled: boolean): Promise<void> {
    this.q.setUserDisabled.run(disabled ? 1 : 0, id);
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.q.allUsers.all().map(toUser);
  }

  // interactions and sessions

  async putInteraction(i: InteractionRecord): Promise<void> {
    this.q.upsertInteraction.run(interactionRow(i));
  }

  async getInteraction(id: string, now: number): Promise<InteractionRecord | null> {
    const row = this.q.liveInteraction.get(id, now);
    return row ? toInteraction(row) : null;
  }

  async setInteractionUser(id: string, user_id: string): Promise<void> {
    this.q.setInteractionUser.run(user_id, id);
  }

  async takeInteraction(id: string, now: number): Promise<InteractionRecord | null> {
    const row = this.q.takeInteraction.get(id, now);
    return row ? toInteraction(row) : null;
  }

  async putSession(s: SessionRecord): Promise<void> {
    this.q.upsertSession.run(s);
  }

  async getSession(id_hash: string, now: number): Promise<SessionRecord | null> {
    const row = this.q.liveSession.get(id_hash, now);
    return row ? toSession(row) : null;
  }

  async deleteSession(id_hash: string): Promise<void> {
    this.q.deleteSession.run(id_hash);
  }

  // consent memory

  async getConsent(user_id: string, client_id: string, resource: string): Promise<ConsentRecord | null> {
    const row = this.q.consent.get(user_id, client_id, resource);
    return row ? toConsent(row) : null;
  }

  async putConsent(c: ConsentRecord): Promise<void> {
    this.q.upsertConsent.run(consentRow(c));
  }

  // grants, codes, refresh tokens, revocation and jti (src/store/sqlite/tokens.ts)

  createGrant(grant: GrantRecord): Promise<void> {
    return this.tokens.createGrant(grant);
  }
  createGrantWithCode(grant: GrantRecord, code: AuthorizationCodeRecord): Promise<void> {
    return this.tokens.createGrantWithCode(grant, code);
  }
  getGrant(id: string): Promise<GrantRecord | null> {
    return this.tokens.getGrant(id);
  }
  getAuthorizationCode(code_hash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    return this.tokens.getAuthorizationCode(code_hash, now);
  }
  consumeAuthorizationCode(code_hash: string, now: number): Promise<ConsumeCodeResult> {
    return this.tokens.consumeAuthorizationCode(code_hash, now);
  }
  revokeGrant(id: string, now: number, reason: string): Promise<void> {
    return this.tokens.revokeGrant(id, now, reason);
  }
  listRevokedGrantIds(since: number): Promise<string[]> {
    return this.tokens.listRevokedGrantIds(since);
  }
  revokeGrantsForUser(user_id: string, now: number, reason: string): Promise<string[]> {
    return this.tokens.revokeGrantsForUser(user_id, now, reason);
  }
  revokeGrantsForClient(client_id: string, now: number, reason: string): Promise<string[]> {
    return this.tokens.revokeGrantsForClient(client_id, now, reason);
  }
  listGrants(filter: GrantFilter): Promise<GrantSummary[]> {
    return this.tokens.listGrants(filter);
  }
  putRefreshToken(t: RefreshTokenRecord): Promise<void> {
    return this.tokens.putRefreshToken(t);
  }
  getRefreshToken(token_hash: string): Promise<RefreshTokenRecord | null> {
    return this.tokens.getRefreshToken(token_hash);
  }
  rotateRefreshToken(old_hash: string, next: RefreshTokenRecord, grace_response: string, now: number, grace_ms: number): Promise<RotateResult> {
    return this.tokens.rotateRefreshToken(old_hash, next, grace_response, now, grace_ms);
  }
  useJti(issuer: string, jti: string, expires_at: number, now: number): Promise<boolean> {
    return this.tokens.useJti(issuer, jti, expires_at, now);
  }

  // signing keys

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.q.signingKeys.all().map(toSigningKey);
  }

  async putSigningKey(k: SigningKeyRecord): Promise<void> {
    this.q.upsertSigningKey.run(k);
  }

  // audit log (src/store/sqlite/audit.ts)

  async appendAudit(build: (head: AuditHead | null) => AuditRow[]): Promise<AuditRow[]> {
    return this.audit.appendAudit(build);
  }

  async getAuditHead(): Promise<AuditHead | null> {
    return this.audit.getAuditHead();
  }

  async listAudit(filter: AuditFilter): Promise<AuditRow[]> {
    return this.audit.listAudit(filter);
  }

  async putAuditCheckpoint(c: AuditCheckpointRecord): Promise<void> {
    this.audit.putAuditCheckpoint(c);
  }

  async listAuditCheckpoints(): Promise<AuditCheckpointRecord[]> {
    return this.audit.listAuditCheckpoints();
  }

  // client trust decisions and registered clients (src/store/sqlite/clients.ts)

  async getClientTrust(client_id: string): Promise<ClientTrustRecord | null> {
    return this.clients.getTrust(client_id);
  }

  async observeClientTrust(o: { client_id: string; document: string; version: string; now: number }): Promise<ClientTrustRecord> {
    return this.clients.observe(o);
  }

  async decideClientTrust(d: { client_id: string; status: 'approved' | 'denied'; by: string; now: number; expected_version: string | null }): Promise<ClientTrustRecord | null> {
    return this.clients.decide(d);
  }

  async listClientTrust(status?: ClientTrustRecord['status']): Promise<ClientTrustRecord[]> {
    return this.clients.listTrust(status);
  }

  async createRegisteredClient(c: RegisteredClientRecord): Promise<void> {
    conflictAs(`client ${c.client_id} already exists`, () => this.clients.createRegistered(c));
  }

  async getRegisteredClient(client_id: string): Promise<RegisteredClientRecord | null> {
    return this.clients.getRegistered(client_id);
  }

  async listRegisteredClients(): Promise<RegisteredClientRecord[]> {
    return this.clients.listRegistered();
  }

  // issue 4: external identities and device codes (./enterprise.ts)

  async getUserIdentity(issuer: string, subject: string): Promise<UserIdentityRecord | null> {
    return this.enterprise.getIdentity(issuer, subject);
  }

  async listUserIdentities(user_id: string): Promise<UserIdentityRecord[]> {
    return this.enterprise.listIdentities(user_id);
  }

  async linkUserIdentity(identity: UserIdentityRecord, user?: UserRecord): Promise<void> {
    this.enterprise.link(identity, user);
  }

  async touchUserIdentity(issuer: string, subject: string, email: string | null, now: number): Promise<void> {
    this.enterprise.touch(issuer, subject, email, now);
  }

  async putDeviceCode(d: DeviceCodeRecord): Promise<void> {
    this.enterprise.putDevice(d);
  }

  async getDeviceCodeByUserCode(user_code: string, now: number): Promise<DeviceCodeRecord | null> {
    return this.enterprise.deviceByUserCode(user_code, now);
  }

  async decideDeviceCode(user_code: string, decision: DeviceDecision, now: number): Promise<DeviceCodeRecord | null> {
    return this.enterprise.decide(user_code, decision, now);
  }

  async pollDeviceCode(device_code_hash: string, now: number): Promise<DevicePollResult> {
    return this.enterprise.poll(device_code_hash, now);
  }

  async purgeExpired(now: number, grace_ms: number = GRACE_RESPONSE_MAX_AGE_MS): Promise<number> {
    return this.purgeTx.immediate(now, grace_ms);
  }
}

/** Opens (creating the file and its directory if needed) and migrates the SQLite store at `file`. */
export function openSqliteStore(file: string): SqliteStore {
  return new SqliteStore(file);
}

/** A private in-memory store, for tests. */
export function openMemoryStore(): SqliteStore {
  return new SqliteStore(':memory:');
}
