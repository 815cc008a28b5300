/**
 * The records the Store (types.ts) reads and writes, one interface per table row or result; times are epoch
 * milliseconds, secrets only as their SHA-256 (`*_hash`).
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
  /** OpenID Connect Core §3.1.2.1 `prompt`, when the request had one */
  prompt?: ('none' | 'login' | 'consent' | 'select_account')[];
  /** OpenID Connect Core §3.1.2.1 `max_age`, seconds, when the request had one */
  max_age?: number;
  /** OpenID Connect Core §3.1.2.1 `login_hint`: prefills the sign-in form and goes on to an upstream IdP */
  login_hint?: string;
}

export interface SessionRecord {
  id_hash: string;
  user_id: string;
  /** when the user signed in (OIDC auth_time, ms): the sign-in here, or an upstream IdP's auth_time, never later */
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
   * fall back to `created_at` (grantAuthTime in src/as/auth-time.ts). The stores also read an absent value as null.
   */
  auth_time: number | null;
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
