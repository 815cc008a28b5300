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
import { PostgresAuditLog } from './audit.js';
import { PostgresClients } from './clients.js';
import { PostgresEnterprise } from './enterprise.js';
import type { DeviceDecision } from '../rules.js';
import { ConfigError } from '../../core/errors.js';
import { all, conflictAs, createPool, errorCode, one, run, transaction, type Pool, type PostgresOptions } from './db.js';
import { toConsent, toInteraction, toSession, toSigningKey, toUser, type InteractionRow } from './rows.js';
import { migrate, schemaVersion } from './schema.js';
import { PostgresTokens } from './tokens.js';

export type { PostgresOptions } from './db.js';

/**
 * The multi-instance store (ARCHITECTURE "Deployment"): N stateless instances on one PostgreSQL, each with a
 * bounded pool. Every single-use operation is one statement or one transaction that takes the row or advisory
 * locks it needs, so it holds across instances exactly as the SQLite store's IMMEDIATE transactions hold across
 * processes. Grants, codes and tokens live in tokens.ts, the audit log in audit.ts, client trust in clients.ts, identities and device codes in enterprise.ts.
 */
export class PostgresStore implements Store {
  private readonly tokens: PostgresTokens;
  private readonly audit: PostgresAuditLog;
  private readonly clients: PostgresClients;
  private readonly enterprise: PostgresEnterprise;
  private closed = false;

  constructor(private readonly pool: Pool) {
    this.tokens = new PostgresTokens(pool);
    this.audit = new PostgresAuditLog(pool);
    this.clients = new PostgresClients(pool);
    this.enterprise = new PostgresEnterprise(pool);
  }

  async migrate(): Promise<void> {
    await migrate(this.pool);
  }

  /** the schema version the database is at */
  async schemaVersion(): Promise<number> {
    return schemaVersion(this.pool);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store closed');
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // users

  async createUser(u: UserRecord): Promise<void> {
    await conflictAs(`user ${u.username} already exists`, () =>
      run(
        this.pool,
        'INSERT INTO users (id, username, password_hash, roles, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [u.id, u.username, u.password_hash, JSON.stringify(u.roles), u.disabled, u.created_at],
      ),
    );
  }

  async getUserByName(username: string): Promise<UserRecord | null> {
    const row = await one<UserRecord>(this.pool, 'SELECT * FROM users WHERE username = $1', [username]);
    return row ? toUser(row) : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const row = await one<UserRecord>(this.pool, 'SELECT * FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : null;
  }

  async updateUserPassword(id: string, password_hash: string): Promise<void> {
    await run(this.pool, 'UPDATE users SET password_hash = $1 WHERE id = $2', [password_hash, id]);
  }

  async updateUserRoles(id: string, roles: string[]): Promise<void> {
    await run(this.pool, 'UPDATE users SET roles = $1 WHERE id = $2', [JSON.stringify(roles), id]);
  }

  async setUserDisabled(id: string, disabled: boolean): Promise<void> {
    await run(this.pool, 'UPDATE users SET disabled = $1 WHERE id = $2', [disabled, id]);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await all<UserRecord>(this.pool, 'SELECT * FROM users ORDER BY username')).map(toUser);
  }

  // interactions and sessions

  async putInteraction(i: InteractionRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO interactions (id, params, csrf, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, csrf = EXCLUDED.csrf, user_id = EXCLUDED.user_id,
         created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
      [i.id, JSON.stringify(i.params), i.csrf, i.user_id, i.created_at, i.expires_at],
    );
  }

  async getInteraction(id: string, now: number): Promise<InteractionRecord | null> {
    const row = await one<InteractionRow>(this.pool, 'SELECT * FROM interactions WHERE id = $1 AND expires_at > $2', [id, now]);
    return row ? toInteraction(row) : null;
  }

  async setInteractionUser(id: string, user_id: string): Promise<void> {
    await run(this.pool, 'UPDATE interactions SET user_id = $1 WHERE id = $2', [user_id, id]);
  }

  async takeInteraction(id: string, now: number): Promise<InteractionRecord | null> {
    // single use: one DELETE … RETURNING; concurrent takes queue on the row lock and only the first finds the row
    const row = await one<InteractionRow>(this.pool, 'DELETE FROM interactions WHERE id = $1 AND expires_at > $2 RETURNING *', [id, now]);
    return row ? toInteraction(row) : null;
  }

  async putSession(s: SessionRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id_hash) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
         expires_at = EXCLUDED.expires_at`,
      [s.id_hash, s.user_id, s.created_at, s.expires_at],
    );
  }

  async getSession(id_hash: string, now: number): Promise<SessionRecord | null> {
    const row = await one<SessionRecord>(this.pool, 'SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2', [id_hash, now]);
    return row ? toSession(row) : null;
  }

  async deleteSession(id_hash: string): Promise<void> {
    await run(this.pool, 'DELETE FROM sessions WHERE id_hash = $1', [id_hash]);
  }

  // consent memory

  async getConsent(user_id: string, client_id: string, resource: string): Promise<ConsentRecord | null> {
    const row = await one<ConsentRecord>(
      this.pool,
      'SELECT * FROM consents WHERE user_id = $1 AND client_id = $2 AND resource = $3',
      [user_id, client_id, resource],
    );
    return row ? toConsent(row) : null;
  }

  async putConsent(c: ConsentRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO consents (user_id, client_id, resource, scope, client_version, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, client_id, resource) DO UPDATE SET
         scope = EXCLUDED.scope, client_version = EXCLUDED.client_version, created_at = EXCLUDED.created_at`,
      [c.user_id, c.client_id, c.resource, JSON.stringify(c.scope), c.client_version, c.created_at],
    );
  }

  // grants, codes, refresh tokens, revocation and jti (src/store/postgres/tokens.ts)

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
    return (await all<SigningKeyRecord>(this.pool, 'SELECT * FROM signing_keys ORDER BY created_at, kid')).map(toSigningKey);
  }

  async putSigningKey(k: SigningKeyRecord): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_enc, created_at, activates_at, retired_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (kid) DO UPDATE SET alg = EXCLUDED.alg, public_jwk = EXCLUDED.public_jwk,
         private_jwk_enc = EXCLUDED.private_jwk_enc, created_at = EXCLUDED.created_at,
         activates_at = EXCLUDED.activates_at, retired_at = EXCLUDED.retired_at`,
      [k.kid, k.alg, k.public_jwk, k.private_jwk_enc, k.created_at, k.activates_at, k.retired_at],
    );
  }

  // audit log (src/store/postgres/audit.ts)

  appendAudit(build: (head: AuditHead | null) => AuditRow[]): Promise<AuditRow[]> {
    return this.audit.appendAudit(build);
  }
  getAuditHead(): Promise<AuditHead | null> {
    return this.audit.getAuditHead();
  }
  listAudit(filter: AuditFilter): Promise<AuditRow[]> {
    return this.audit.listAudit(filter);
  }
  putAuditCheckpoint(c: AuditCheckpointRecord): Promise<void> {
    return this.audit.putAuditCheckpoint(c);
  }
  listAuditCheckpoints(): Promise<AuditCheckpointRecord[]> {
    return this.audit.listAuditCheckpoints();
  }

  // client trust decisions and registered clients (src/store/postgres/clients.ts)

  getClientTrust(client_id: string): Promise<ClientTrustRecord | null> {
    return this.clients.getTrust(client_id);
  }
  observeClientTrust(o: { client_id: string; document: string; version: string; now: number }): Promise<ClientTrustRecord> {
    return this.clients.observe(o);
  }
  decideClientTrust(d: { client_id: string; status: 'approved' | 'denied'; by: string; now: number; expected_version: string | null }): Promise<ClientTrustRecord | null> {
    return this.clients.decide(d);
  }
  listClientTrust(status?: ClientTrustRecord['status']): Promise<ClientTrustRecord[]> {
    return this.clients.listTrust(status);
  }
  async createRegisteredClient(c: RegisteredClientRecord): Promise<void> {
    await conflictAs(`client ${c.client_id} already exists`, () => this.clients.createRegistered(c));
  }
  getRegisteredClient(client_id: string): Promise<RegisteredClientRecord | null> {
    return this.clients.getRegistered(client_id);
  }
  listRegisteredClients(): Promise<RegisteredClientRecord[]> {
    return this.clients.listRegistered();
  }

  // issue 4: external identities and device codes (./enterprise.ts)
  getUserIdentity(issuer: string, subject: string): Promise<UserIdentityRecord | null> {
    return this.enterprise.getIdentity(issuer, subject);
  }
  listUserIdentities(user_id: string): Promise<UserIdentityRecord[]> {
    return this.enterprise.listIdentities(user_id);
  }
  linkUserIdentity(identity: UserIdentityRecord, user?: UserRecord): Promise<void> {
    return this.enterprise.link(identity, user);
  }
  touchUserIdentity(issuer: string, subject: string, email: string | null, now: number): Promise<void> {
    return this.enterprise.touch(issuer, subject, email, now);
  }
  putDeviceCode(d: DeviceCodeRecord): Promise<void> {
    return this.enterprise.putDevice(d);
  }
  getDeviceCodeByUserCode(user_code: string, now: number): Promise<DeviceCodeRecord | null> {
    return this.enterprise.deviceByUserCode(user_code, now);
  }
  decideDeviceCode(user_code: string, decision: DeviceDecision, now: number): Promise<DeviceCodeRecord | null> {
    return this.enterprise.decide(user_code, decision, now);
  }
  pollDeviceCode(device_code_hash: string, now: number): Promise<DevicePollResult> {
    return this.enterprise.poll(device_code_hash, now);
  }

  async purgeExpired(now: number, grace_ms: number = GRACE_RESPONSE_MAX_AGE_MS): Promise<number> {
    return transaction(this.pool, async (c) => {
      let deleted = 0;
      for (const sql of [
        'DELETE FROM interactions WHERE expires_at <= $1',
        'DELETE FROM sessions WHERE expires_at <= $1',
        'DELETE FROM authorization_codes WHERE expires_at <= $1',
        'DELETE FROM refresh_tokens WHERE expires_at <= $1 OR absolute_expires_at <= $1',
        'DELETE FROM used_jtis WHERE expires_at <= $1',
      ]) {
        deleted += await run(c, sql, [now]);
      }
      deleted += await this.clients.purge(c, now);
      deleted += await this.enterprise.purge(c, now);
      await c.query('UPDATE refresh_tokens SET grace_response = NULL WHERE grace_response IS NOT NULL AND rotated_at < $1', [now - grace_ms]);
      return deleted;
    });
  }
}

/** failures that mean the `store` URL is wrong (or the server is not there), not a bug */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH',
  '28000', '28P01', // invalid authorization, wrong password
  '3D000', // no such database
  '3F000', // no such schema (search_path names none that exists)
]);

/**
 * Opens a pool on `url` (postgres://…; a schema other than `public` via `?options=-c search_path=NAME`) and brings
 * the schema up to date. The pool connects lazily, so an unreachable server or a wrong URL fails here, as a
 * ConfigError naming the option (its message never repeats the URL, which may hold a password).
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  let store: PostgresStore;
  try {
    store = new PostgresStore(createPool(url, options));
  } catch (e) {
    throw new ConfigError('store', `not a usable PostgreSQL URL: ${(e as Error).message}`);
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    const code = errorCode(e);
    if ((code !== undefined && CONNECTION_FAILURES.has(code)) || /timeout/i.test((e as Error).message)) {
      throw new ConfigError('store', `cannot open the PostgreSQL store: ${(e as Error).message}${code ? ` (${code})` : ''}`);
    }
    throw e;
  }
  return store;
}
