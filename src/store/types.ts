/**
 * One Store interface for every backend (SQLite embedded default, PostgreSQL for many instances).
 * Every single-use operation (code redemption, refresh rotation, assertion jti) is ONE method here so that
 * each backend can make it atomic in the database. Times are epoch milliseconds, passed in by the caller
 * (no backend reads the clock). Secrets are never stored: only their SHA-256 (`*_hash`).
 * Methods that write several rows do it in one transaction: either all rows are written or none.
 */

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
  revoked_at: number | null;
  revoked_reason: string | null;
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

export interface Store {
  /** create tables / run migrations; idempotent */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // users
  createUser(u: UserRecord): Promise<void>; // throws StoreConflictError on duplicate username
  getUserByName(username: string): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  updateUserPassword(id: string, password_hash: string): Promise<void>;

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

  /**
   * delete expired interactions, sessions, codes, refresh tokens, jtis; returns rows deleted.
   * Also clears the `grace_response` of refresh tokens rotated more than `grace_ms` ago (default
   * GRACE_RESPONSE_MAX_AGE_MS), so a replayable token response outlives its grace window only until the next
   * purge. Revoked grants are kept (the revoked-grant list and audit need them).
   */
  purgeExpired(now: number, grace_ms?: number): Promise<number>;
}

/** `purgeExpired` clears grace responses older than this when the caller does not pass its grace window */
export const GRACE_RESPONSE_MAX_AGE_MS = 60_000;

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
