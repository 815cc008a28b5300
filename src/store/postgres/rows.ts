import type {
  AuditRow,
  AuthorizationCodeRecord,
  AuthorizationRequestSnapshot,
  ClientTrustRecord,
  ConsentRecord,
  GrantRecord,
  InteractionRecord,
  RefreshTokenRecord,
  RegisteredClientRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from '../types.js';

/**
 * Rows as the pool returns them (BIGINT as number, JSONB parsed, `json` as its text: src/store/postgres/db.ts)
 * and the mappings to Store records. Rows → records copy field by field so that no extra column leaks out.
 * Going in, JSONB and `json` parameters are JSON text.
 */

export type UserRow = UserRecord;
export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  password_hash: r.password_hash,
  roles: r.roles,
  disabled: r.disabled,
  created_at: r.created_at,
});

export interface InteractionRow extends Omit<InteractionRecord, 'params'> {
  params: string;
}
export const toInteraction = (r: InteractionRow): InteractionRecord => ({
  id: r.id,
  params: JSON.parse(r.params) as AuthorizationRequestSnapshot,
  csrf: r.csrf,
  user_id: r.user_id,
  created_at: r.created_at,
  expires_at: r.expires_at,
});

export const toSession = (r: SessionRecord): SessionRecord => ({
  id_hash: r.id_hash,
  user_id: r.user_id,
  created_at: r.created_at,
  expires_at: r.expires_at,
});

export const toConsent = (r: ConsentRecord): ConsentRecord => ({
  user_id: r.user_id,
  client_id: r.client_id,
  resource: r.resource,
  scope: r.scope,
  client_version: r.client_version,
  created_at: r.created_at,
});

export const toGrant = (r: GrantRecord): GrantRecord => ({
  id: r.id,
  user_id: r.user_id,
  client_id: r.client_id,
  resource: r.resource,
  scope: r.scope,
  created_at: r.created_at,
  auth_time: r.auth_time ?? null,
  revoked_at: r.revoked_at,
  revoked_reason: r.revoked_reason,
});
export const grantParams = (g: GrantRecord): unknown[] => [
  g.id, g.user_id, g.client_id, g.resource, JSON.stringify(g.scope), g.created_at, g.revoked_at, g.revoked_reason, g.auth_time ?? null,
];

export const toCode = (r: AuthorizationCodeRecord): AuthorizationCodeRecord => ({
  code_hash: r.code_hash,
  grant_id: r.grant_id,
  client_id: r.client_id,
  user_id: r.user_id,
  redirect_uri: r.redirect_uri,
  code_challenge: r.code_challenge,
  code_challenge_method: r.code_challenge_method,
  scope: r.scope,
  resource: r.resource,
  nonce: r.nonce,
  auth_time: r.auth_time,
  created_at: r.created_at,
  expires_at: r.expires_at,
  consumed_at: r.consumed_at,
});
export const codeParams = (c: AuthorizationCodeRecord): unknown[] => [
  c.code_hash, c.grant_id, c.client_id, c.user_id, c.redirect_uri, c.code_challenge, c.code_challenge_method,
  JSON.stringify(c.scope), c.resource, c.nonce, c.auth_time, c.created_at, c.expires_at, c.consumed_at,
];

export const toRefresh = (r: RefreshTokenRecord): RefreshTokenRecord => ({
  token_hash: r.token_hash,
  grant_id: r.grant_id,
  client_id: r.client_id,
  user_id: r.user_id,
  scope: r.scope,
  resource: r.resource,
  created_at: r.created_at,
  expires_at: r.expires_at,
  absolute_expires_at: r.absolute_expires_at,
  rotated_at: r.rotated_at,
  grace_response: r.grace_response,
});
export const refreshParams = (t: RefreshTokenRecord): unknown[] => [
  t.token_hash, t.grant_id, t.client_id, t.user_id, JSON.stringify(t.scope), t.resource, t.created_at, t.expires_at,
  t.absolute_expires_at, t.rotated_at, t.grace_response,
];

export const toSigningKey = (r: SigningKeyRecord): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  public_jwk: r.public_jwk,
  private_jwk_enc: r.private_jwk_enc,
  created_at: r.created_at,
  activates_at: r.activates_at,
  retired_at: r.retired_at,
});

export const toAudit = (r: AuditRow): AuditRow => ({
  seq: r.seq,
  time: r.time,
  type: r.type,
  user_id: r.user_id,
  client_id: r.client_id,
  subject: r.subject,
  data: r.data,
  prev_mac: r.prev_mac,
  mac: r.mac,
});

export const toTrust = (r: ClientTrustRecord): ClientTrustRecord => ({
  client_id: r.client_id,
  status: r.status,
  document: r.document,
  version: r.version,
  first_seen_at: r.first_seen_at,
  updated_at: r.updated_at,
  decided_by: r.decided_by,
  decided_at: r.decided_at,
  decided_version: r.decided_version,
});

export interface RegisteredRow extends Omit<RegisteredClientRecord, 'metadata'> {
  metadata: string;
}
export const toRegistered = (r: RegisteredRow): RegisteredClientRecord => ({
  client_id: r.client_id,
  client_secret_hash: r.client_secret_hash,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  client_id_issued_at: r.client_id_issued_at,
  expires_at: r.expires_at,
});

/** a code or refresh token row joined with its grant's revocation time */
export type WithGrantState<R> = R & { grant_revoked_at: number | null };
