import type {
  AuthorizationCodeRecord,
  AuthorizationRequestSnapshot,
  ConsentRecord,
  GrantRecord,
  InteractionRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from '../types.js';

/**
 * Row shapes as SQLite stores them, and the mappings to and from the Store records.
 * Only booleans and JSON columns differ; rows → records copy field by field so that no extra column leaks out.
 */

const strings = (json: string): string[] => JSON.parse(json) as string[];

export interface UserRow extends Omit<UserRecord, 'roles' | 'disabled'> {
  roles: string;
  disabled: number;
}
export const userRow = (u: UserRecord): UserRow => ({ ...u, roles: JSON.stringify(u.roles), disabled: u.disabled ? 1 : 0 });
export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  password_hash: r.password_hash,
  roles: strings(r.roles),
  disabled: r.disabled === 1,
  created_at: r.created_at,
});

export interface InteractionRow extends Omit<InteractionRecord, 'params'> {
  params: string;
}
export const interactionRow = (i: InteractionRecord): InteractionRow => ({ ...i, params: JSON.stringify(i.params) });
export const toInteraction = (r: InteractionRow): InteractionRecord => ({
  id: r.id,
  params: JSON.parse(r.params) as AuthorizationRequestSnapshot,
  csrf: r.csrf,
  user_id: r.user_id,
  created_at: r.created_at,
  expires_at: r.expires_at,
});

export type SessionRow = SessionRecord;
export const toSession = (r: SessionRow): SessionRecord => ({
  id_hash: r.id_hash,
  user_id: r.user_id,
  created_at: r.created_at,
  expires_at: r.expires_at,
});

export interface ConsentRow extends Omit<ConsentRecord, 'scope'> {
  scope: string;
}
export const consentRow = (c: ConsentRecord): ConsentRow => ({ ...c, scope: JSON.stringify(c.scope) });
export const toConsent = (r: ConsentRow): ConsentRecord => ({
  user_id: r.user_id,
  client_id: r.client_id,
  resource: r.resource,
  scope: strings(r.scope),
  client_version: r.client_version,
  created_at: r.created_at,
});

export interface GrantRow extends Omit<GrantRecord, 'scope'> {
  scope: string;
}
export const grantRow = (g: GrantRecord): GrantRow => ({ ...g, scope: JSON.stringify(g.scope), auth_time: g.auth_time ?? null });
export const toGrant = (r: GrantRow): GrantRecord => ({
  id: r.id,
  user_id: r.user_id,
  client_id: r.client_id,
  resource: r.resource,
  scope: strings(r.scope),
  created_at: r.created_at,
  auth_time: r.auth_time,
  revoked_at: r.revoked_at,
  revoked_reason: r.revoked_reason,
});

export interface CodeRow extends Omit<AuthorizationCodeRecord, 'scope'> {
  scope: string;
}
export const codeRow = (c: AuthorizationCodeRecord): CodeRow => ({ ...c, scope: JSON.stringify(c.scope) });
export const toCode = (r: CodeRow): AuthorizationCodeRecord => ({
  code_hash: r.code_hash,
  grant_id: r.grant_id,
  client_id: r.client_id,
  user_id: r.user_id,
  redirect_uri: r.redirect_uri,
  code_challenge: r.code_challenge,
  code_challenge_method: r.code_challenge_method,
  scope: strings(r.scope),
  resource: r.resource,
  nonce: r.nonce,
  auth_time: r.auth_time,
  created_at: r.created_at,
  expires_at: r.expires_at,
  consumed_at: r.consumed_at,
});

export interface RefreshRow extends Omit<RefreshTokenRecord, 'scope'> {
  scope: string;
}
export const refreshRow = (t: RefreshTokenRecord): RefreshRow => ({ ...t, scope: JSON.stringify(t.scope) });
export const toRefresh = (r: RefreshRow): RefreshTokenRecord => ({
  token_hash: r.token_hash,
  grant_id: r.grant_id,
  client_id: r.client_id,
  user_id: r.user_id,
  scope: strings(r.scope),
  resource: r.resource,
  created_at: r.created_at,
  expires_at: r.expires_at,
  absolute_expires_at: r.absolute_expires_at,
  rotated_at: r.rotated_at,
  grace_response: r.grace_response,
});

export type SigningKeyRow = SigningKeyRecord;
export const toSigningKey = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  public_jwk: r.public_jwk,
  private_jwk_enc: r.private_jwk_enc,
  created_at: r.created_at,
  activates_at: r.activates_at,
  retired_at: r.retired_at,
});

/** a code or refresh token row joined with its grant's revocation time */
export type WithGrantState<R> = R & { grant_revoked_at: number | null };
