/**
 * One Store interface for every backend (SQLite embedded default, PostgreSQL for many instances).
 * Every single-use operation (code redemption, refresh rotation, assertion jti) is ONE method here so that
 * each backend can make it atomic in the database. Times are epoch milliseconds, passed in by the caller
 * (no backend reads the clock). Secrets are never stored: only their SHA-256 (`*_hash`).
 * Methods that write several rows do it in one transaction: either all rows are written or none.
 */

import type { DeviceDecision } from './rules.js';
import type {
  AuditCheckpointRecord,
  AuditFilter,
  AuditHead,
  AuditRow,
  AuthorizationCodeRecord,
  ClientTrustRecord,
  ConsentRecord,
  ConsumeCodeResult,
  DeviceCodeRecord,
  DevicePollResult,
  GrantFilter,
  GrantRecord,
  GrantSummary,
  InteractionRecord,
  RefreshTokenRecord,
  RegisteredClientRecord,
  RotateResult,
  SessionRecord,
  SigningKeyRecord,
  UserIdentityRecord,
  UserRecord,
} from './records.js';

export type * from './records.js';

export interface Store {
  /** create tables / run migrations; idempotent */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** a trivial query (issue 6 /readyz): resolves when the store answers, rejects otherwise (closed, unreachable) */
  ping(): Promise<void>;

  // users
  createUser(u: UserRecord): Promise<void>; // throws StoreConflictError on duplicate username
  getUserByName(username: string): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  updateUserPassword(id: string, password_hash: string): Promise<void>;
  updateUserRoles(id: string, roles: string[]): Promise<void>;
  setUserDisabled(id: string, disabled: boolean): Promise<void>;
  listUsers(): Promise<UserRecord[]>;

  // interactions (pending authorization requests) and browser sessions
  putInteraction(i: InteractionRecord): Promise<void>;
  getInteraction(id: string, now: number): Promise<InteractionRecord | null>;
  setInteractionUser(id: string, user_id: string): Promise<void>;
  /** single use: returns the interaction and deletes it atomically, or null if gone/expired */
  takeInteraction(id: string, now: number): Promise<InteractionRecord | null>;
  putSession(s: SessionRecord): Promise<void>;
  getSession(id_hash: string, now: number): Promise<SessionRecord | null>;
  deleteSession(id_hash: string): Promise<void>;

  // consent memory
  getConsent(user_id: string, client_id: string, resource: string): Promise<ConsentRecord | null>;
  putConsent(c: ConsentRecord): Promise<void>; // upsert on (user_id, client_id, resource)

  // grants and codes
  /** writes a grant without a code (client_credentials); StoreConflictError on a duplicate id */
  createGrant(grant: GrantRecord): Promise<void>;
  /** writes the grant (if new) and the code in one transaction */
  createGrantWithCode(grant: GrantRecord, code: AuthorizationCodeRecord): Promise<void>;
  getGrant(id: string): Promise<GrantRecord | null>;
  /** read without consuming: the code if it exists, is unexpired and its grant is live (consumed or not) */
  getAuthorizationCode(code_hash: string, now: number): Promise<AuthorizationCodeRecord | null>;
  /** atomic: marks the code consumed if it was not; reports reuse otherwise */
  consumeAuthorizationCode(code_hash: string, now: number): Promise<ConsumeCodeResult>;
  /** revokes the grant and every refresh token of it (idempotent) */
  revokeGrant(id: string, now: number, reason: string): Promise<void>;
  /** grant ids revoked at or after `since` (for the gateway's revoked-grant set) */
  listRevokedGrantIds(since: number): Promise<string[]>;
  /** revokes every live grant of the user (and their refresh tokens) in one transaction; returns the ids revoked */
  revokeGrantsForUser(user_id: string, now: number, reason: string): Promise<string[]>;
  /** revokes every live grant of the client (and their refresh tokens) in one transaction; returns the ids revoked */
  revokeGrantsForClient(client_id: string, now: number, reason: string): Promise<string[]>;
  /** grants matching every given filter, newest first, each with its last use */
  listGrants(filter: GrantFilter): Promise<GrantSummary[]>;

  // refresh tokens
  putRefreshToken(t: RefreshTokenRecord): Promise<void>;
  getRefreshToken(token_hash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Atomic rotation of `old_hash` into `next`:
   * - old unrotated, unexpired, grant live → old marked rotated (grace_response stored), next inserted: 'rotated'
   * - old rotated within `grace_ms` → nothing written: 'grace'
   * - old rotated earlier → grant revoked: 'reused'
   * - unknown, expired, or grant revoked → 'not_found'
   */
  rotateRefreshToken(
    old_hash: string,
    next: RefreshTokenRecord,
    grace_response: string,
    now: number,
    grace_ms: number,
  ): Promise<RotateResult>;

  // single-use JWT ids (private_key_jwt client assertions); false if already seen
  useJti(issuer: string, jti: string, expires_at: number, now: number): Promise<boolean>;

  // signing keys
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  putSigningKey(k: SigningKeyRecord): Promise<void>;

  // audit log (append-only: no method updates or deletes an entry)
  /**
   * Atomic append: reads the head (last seq and mac) and inserts the rows `build` returns, in ONE transaction that
   * holds the write lock from the read to the commit, so appends from every instance form one gap-free chain.
   * `build` is synchronous and pure (it runs inside the transaction; SQLite: IMMEDIATE transaction; PostgreSQL:
   * `pg_advisory_xact_lock` then the same read and insert). Its rows must continue the head: seq head.seq + 1, … .
   * Resolves after the commit is durable (synchronous = FULL for this transaction on SQLite).
   */
  appendAudit(build: (head: AuditHead | null) => AuditRow[]): Promise<AuditRow[]>;
  getAuditHead(): Promise<AuditHead | null>;
  /** entries matching every given filter, by seq (ascending unless `order: 'desc'`), at most `limit` */
  listAudit(filter: AuditFilter): Promise<AuditRow[]>;
  /** idempotent per seq (a second checkpoint of the same seq is ignored) */
  putAuditCheckpoint(c: AuditCheckpointRecord): Promise<void>;
  listAuditCheckpoints(): Promise<AuditCheckpointRecord[]>;

  // client trust decisions (src/as/trust) and dynamically registered clients (src/as/endpoints/register)
  getClientTrust(client_id: string): Promise<ClientTrustRecord | null>;
  /**
   * Atomic "seen this document": no record → a pending one (first_seen_at = now); a pending or approved record
   * whose version differs → pending with the new snapshot (decided_* kept: who approved which version before);
   * a denied record, or the same version → unchanged. Returns the record as it now is.
   */
  observeClientTrust(o: { client_id: string; document: string; version: string; now: number }): Promise<ClientTrustRecord>;
  /**
   * Records an admin decision for the record's current version, only if that version is still `expected_version`
   * (null: any; a denial of a never-seen client then creates a denied record). Returns null when nothing was
   * decided (no such record for an approval, or the document changed meanwhile).
   */
  decideClientTrust(d: { client_id: string; status: 'approved' | 'denied'; by: string; now: number; expected_version: string | null }): Promise<ClientTrustRecord | null>;
  /** by first_seen_at; only `status` when given */
  listClientTrust(status?: ClientTrustRecord['status']): Promise<ClientTrustRecord[]>;
  createRegisteredClient(c: RegisteredClientRecord): Promise<void>; // StoreConflictError on a duplicate client_id
  getRegisteredClient(client_id: string): Promise<RegisteredClientRecord | null>;
  listRegisteredClients(): Promise<RegisteredClientRecord[]>;

  // issue 4: external identities (upstream OIDC login, ID-JAG subjects)
  getUserIdentity(issuer: string, subject: string): Promise<UserIdentityRecord | null>;
  /** the identities linked to one user, oldest first */
  listUserIdentities(user_id: string): Promise<UserIdentityRecord[]>;
  /**
   * Links an identity to an existing user, or — when `user` is given — creates that user and the link in ONE
   * transaction (JIT provisioning). StoreConflictError when the (issuer, subject) is linked already (a concurrent
   * first login: the caller reads it again) or the username is taken; nothing is written then.
   */
  linkUserIdentity(identity: UserIdentityRecord, user?: UserRecord): Promise<void>;
  /** records a later login: last_seen_at and the email asserted now */
  touchUserIdentity(issuer: string, subject: string, email: string | null, now: number): Promise<void>;

  // issue 4: RFC 8628 device authorization grant
  /** StoreConflictError when the user_code is taken by a live code (the caller draws another) */
  putDeviceCode(d: DeviceCodeRecord): Promise<void>;
  /** the unexpired code with this (normalized) user code, whatever its status; null otherwise */
  getDeviceCodeByUserCode(user_code: string, now: number): Promise<DeviceCodeRecord | null>;
  /**
   * Atomic decision on a pending, unexpired code: approval writes `grant` and binds user, scope and grant to the
   * code in one transaction; denial only sets the status. Returns the decided record, or null when the code was not
   * pending any more (decided by a concurrent request, expired, unknown) — nothing is written then.
   */
  decideDeviceCode(
    user_code: string,
    decision: DeviceDecision,
    now: number,
  ): Promise<DeviceCodeRecord | null>;
  /**
   * One poll by the device, atomic (RFC 8628 §3.4/§3.5): an approved code is consumed (single use: a second poll
   * gets not_found); a pending code polled sooner than `interval` s after the last poll gets slow_down and its
   * interval raised by 5; every poll of a live code records last_polled_at.
   */
  pollDeviceCode(device_code_hash: string, now: number): Promise<DevicePollResult>;

  /**
   * delete expired interactions, sessions, codes, refresh tokens, jtis, device codes; returns rows deleted.
   * Also clears the `grace_response` of refresh tokens rotated more than `grace_ms` ago (default
   * GRACE_RESPONSE_MAX_AGE_MS), so a replayable token response outlives its grace window only until the next
   * purge. Revoked grants are kept (the revoked-grant list and audit need them). Registered clients are deleted
   * REGISTRATION_TOMBSTONE_MS after they expire (until then they are refused as expired, not unknown).
   */
  purgeExpired(now: number, grace_ms?: number): Promise<number>;
}

/** `purgeExpired` clears grace responses older than this when the caller does not pass its grace window */
export const GRACE_RESPONSE_MAX_AGE_MS = 60_000;

/** how long an expired registration is kept, so its client is told "expired" rather than "unknown" */
export const REGISTRATION_TOMBSTONE_MS = 7 * 24 * 3600 * 1000;

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
