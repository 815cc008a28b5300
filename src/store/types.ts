/**
 * One Store interface for every backend (SQLite embedded default, PostgreSQL for many instances).
 * Every single-use operation (code redemption, refresh rotation, assertion jti) is ONE method here so that
 * each backend can make it atomic in the database. Times are epoch milliseconds, passed in by the caller
 * (no backend reads the clock). Secrets are never stored: only their SHA-256 (`*_hash`).
 * Methods that write several rows do it in one transaction: either all rows are written or none.
 */

import type { DeviceDecision } from './rules.js';

export interface UserRecord {
  id: string;
  username: string;
  password_hash: string; // argon2id PHC string
  roles: string[];
  disabled: boolean;
  created_at: number;
}

export interface InteractionRecord {
  id: string; // random, also in the browser's cookie
  /** the validated authorization request, as JSON */
  params: AuthorizationRequestSnapshot;
  csrf: string;
  user_id: string | null; // set after login
  created_at: number;
  expires_at: number;
}

export interface AuthorizationRequestSnapshot {
  client_id: string;
  client_name: string | null;
  redirect_uri: string;
  state: string | null;
  scope: string[];
  resource: string;
  code_challenge: string;
  code_challenge_method: 'S256';
  nonce: string | null;
  /** fingerprint of the client's metadata document (consent is remembered per document version) */
  client_version: string;
  /** every redirect URI of the client is loopback: consent is asked every time */
  loopback_only: boolean;
}

export interface SessionRecord {
  id_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface GrantRecord {
  id: string;
  user_id: string;
  client_id: string;
  resource: string;
  scope: string[];
  created_at: number;
  /**
   * OpenID Connect Core §2 `auth_time`: when the user authenticated for this grant (the start of the browser session
   * that approved it, or the ID-JAG's auth_time). Kept so that refreshes and token exchanges carry the original value
   * (§12.2). null: no user authentication (client_credentials), or a row written before migration 5, when callers
   * fall back to `created_at` (grantAuthTime in src/as/auth-time.ts). Absent on write = null.
   */
  auth_time?: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** a grant with when it was last used: the newest refresh-token activity, or its creation */
export interface GrantSummary extends GrantRecord {
  last_used_at: number;
}

export interface GrantFilter {
  user_id?: string;
  client_id?: string;
  /** include revoked grants (default: live grants only) */
  include_revoked?: boolean;
}

export interface AuthorizationCodeRecord {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method: 'S256';
  scope: string[];
  resource: string;
  nonce: string | null;
  auth_time: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface RefreshTokenRecord {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  scope: string[];
  resource: string;
  created_at: number;
  /** idle expiry: moves forward on each rotation, capped by absolute_expires_at */
  expires_at: number;
  absolute_expires_at: number;
  rotated_at: number | null;
  /** the token response issued when this token was rotated, encrypted under a key derived from THIS
   *  token (only its holder can read it); kept only during the grace window */
  grace_response: string | null;
}

export type ConsumeCodeResult =
  | { kind: 'ok'; code: AuthorizationCodeRecord }
  | { kind: 'reused'; code: AuthorizationCodeRecord }
  | { kind: 'not_found' };

export type RotateResult =
  | { kind: 'rotated'; old: RefreshTokenRecord }
  /** retry of the just-rotated token within the grace window: the caller decrypts and replays */
  | { kind: 'grace'; old: RefreshTokenRecord }
  /** reuse of a rotated token after the grace window: the grant has been revoked */
  | { kind: 'reused'; old: RefreshTokenRecord }
  | { kind: 'not_found' };

export interface ConsentRecord {
  user_id: string;
  client_id: string;
  resource: string;
  scope: string[];
  client_version: string;
  created_at: number;
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  public_jwk: string; // JSON
  private_jwk_enc: string; // encrypted with the master secret
  created_at: number;
  /** published in JWKS from created_at; used for signing from activates_at */
  activates_at: number;
  retired_at: number | null;
}

/** One entry of the audit log as stored; the chain rules live in src/audit/chain.ts (ARCHITECTURE "Audit"). */
export interface AuditRow {
  /** 1, 2, 3…: monotonic and gap-free across every instance */
  seq: number;
  time: number;
  type: string;
  user_id: string | null;
  client_id: string | null;
  /** what the event is about (token id, grant id, tool name, CIMD URL…), for queries */
  subject: string | null;
  /** canonical JSON (sorted keys) of the event's data; never a token or secret */
  data: string;
  /** mac of entry seq - 1 ('' for seq 1) */
  prev_mac: string;
  /** HMAC-SHA256 over the canonical entry and prev_mac, hex */
  mac: string;
}

/** the last entry of the chain, which the next entry extends */
export interface AuditHead {
  seq: number;
  mac: string;
}

export interface AuditCheckpointRecord {
  seq: number;
  mac: string;
  time: number;
  /** HMAC-SHA256 under the checkpoint key (not the chain key), hex */
  signature: string;
}

export interface AuditFilter {
  user_id?: string;
  client_id?: string;
  /** exact types; an entry ending in `.*` matches a prefix (`token.*`) */
  types?: string[];
  /** time >= since */
  since?: number;
  /** time < until */
  until?: number;
  /** cursor: seq > after_seq (ascending) or seq < before_seq (descending) */
  after_seq?: number;
  before_seq?: number;
  order?: 'asc' | 'desc';
  limit: number;
}

/**
 * An administrator's trust decision about one CIMD or registered client (issue 3 "trust policies", review mode).
 * `document` / `version` are the latest snapshot seen; `decided_*` describe the last decision, and
 * `decided_version` is the exact document version it was made for.
 */
export interface ClientTrustRecord {
  client_id: string;
  status: 'pending' | 'approved' | 'denied';
  /** the client's metadata as fetched (CIMD) or registered (DCR), JSON text */
  document: string;
  /** fingerprint of the security-relevant metadata (src/as/clients/canonical.ts) */
  version: string;
  first_seen_at: number;
  /** when the snapshot last changed */
  updated_at: number;
  decided_by: string | null;
  decided_at: number | null;
  decided_version: string | null;
}

/** A client registered through RFC 7591 Dynamic Client Registration. */
export interface RegisteredClientRecord {
  client_id: string;
  /** SHA-256 of the issued secret (client_secret_* methods only) */
  client_secret_hash: string | null;
  /** the registered metadata, as echoed in the registration response (no secret), JSON object */
  metadata: Record<string, unknown>;
  client_id_issued_at: number;
  /** the client is unusable from this time on (registration.client_ttl_days) */
  expires_at: number;
}

/**
 * Issue 4: an external identity linked to a local user — an upstream OIDC IdP's (iss, sub) for federated login,
 * or a trusted ID-JAG issuer's (iss[+tenant], sub). `issuer` is the key's namespace as the caller forms it.
 */
export interface UserIdentityRecord {
  issuer: string;
  subject: string;
  user_id: string;
  /** the email the IdP asserted last (for display and account linking only; never a key) */
  email: string | null;
  created_at: number;
  last_seen_at: number;
}

/** Issue 4: RFC 8628 device authorization, one row per device_code. */
export interface DeviceCodeRecord {
  /** SHA-256 of the device_code bound to its client (src/as/grants/device_code.ts; the code is never stored in clear),
   *  so another client's poll with a stolen code finds no row and changes nothing */
  device_code_hash: string;
  /** the user code as stored: normalized (upper case, no separators); unique among live codes */
  user_code: string;
  client_id: string;
  scope: string[];
  resource: string;
  status: 'pending' | 'approved' | 'denied';
  /** set on approval */
  user_id: string | null;
  /** the grant written on approval (tokens are issued under it when the device polls) */
  grant_id: string | null;
  /** current polling interval in seconds (RFC 8628 §3.5: +5 on every slow_down) */
  interval: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
  /** set when the device redeemed the approval (single use) */
  consumed_at: number | null;
}

export type DevicePollResult =
  /** approved and now consumed by this poll: the caller issues tokens under `grant_id` */
  | { kind: 'approved'; device: DeviceCodeRecord }
  | { kind: 'pending'; device: DeviceCodeRecord }
  /** polled sooner than `interval` after the previous poll: interval raised by 5 s (stored) */
  | { kind: 'slow_down'; device: DeviceCodeRecord }
  | { kind: 'denied'; device: DeviceCodeRecord }
  | { kind: 'expired' }
  /** unknown, or already redeemed */
  | { kind: 'not_found' };

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
