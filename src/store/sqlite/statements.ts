import type { Database, RunResult } from 'better-sqlite3';
import type {
  CodeRow,
  ConsentRow,
  GrantRow,
  InteractionRow,
  RefreshRow,
  SessionRow,
  SigningKeyRow,
  UserRow,
  WithGrantState,
} from './rows.js';

/** The part of a better-sqlite3 statement the store uses; an object parameter binds `@name` placeholders. */
export interface Stmt<P extends unknown[] | object, R = unknown> {
  run(...params: P extends unknown[] ? P : [P]): RunResult;
  get(...params: P extends unknown[] ? P : [P]): R | undefined;
  all(...params: P extends unknown[] ? P : [P]): R[];
}

/** Every statement the SQLite store runs, prepared once per connection (after migration). */
export function prepareStatements(db: Database) {
  const prep = <P extends unknown[] | object = unknown[], R = unknown>(sql: string): Stmt<P, R> =>
    db.prepare(sql) as unknown as Stmt<P, R>;
  return {
    insertUser: prep<UserRow>(
      `INSERT INTO users (id, username, password_hash, roles, disabled, created_at)
       VALUES (@id, @username, @password_hash, @roles, @disabled, @created_at)`,
    ),
    userById: prep<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    userByName: prep<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    allUsers: prep<[], UserRow>('SELECT * FROM users ORDER BY username'),
    setUserPassword: prep<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?'),
    setUserRoles: prep<[string, string]>('UPDATE users SET roles = ? WHERE id = ?'),
    setUserDisabled: prep<[number, string]>('UPDATE users SET disabled = ? WHERE id = ?'),

    upsertInteraction: prep<InteractionRow>(
      `INSERT OR REPLACE INTO interactions (id, params, csrf, user_id, created_at, expires_at)
       VALUES (@id, @params, @csrf, @user_id, @created_at, @expires_at)`,
    ),
    liveInteraction: prep<[string, number], InteractionRow>(
      'SELECT * FROM interactions WHERE id = ? AND expires_at > ?',
    ),
    setInteractionUser: prep<[string, string]>('UPDATE interactions SET user_id = ? WHERE id = ?'),
    takeInteraction: prep<[string, number], InteractionRow>(
      'DELETE FROM interactions WHERE id = ? AND expires_at > ? RETURNING *',
    ),

    upsertSession: prep<SessionRow>(
      `INSERT OR REPLACE INTO sessions (id_hash, user_id, created_at, expires_at)
       VALUES (@id_hash, @user_id, @created_at, @expires_at)`,
    ),
    liveSession: prep<[string, number], SessionRow>('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?'),
    deleteSession: prep<[string]>('DELETE FROM sessions WHERE id_hash = ?'),

    consent: prep<[string, string, string], ConsentRow>(
      'SELECT * FROM consents WHERE user_id = ? AND client_id = ? AND resource = ?',
    ),
    upsertConsent: prep<ConsentRow>(
      `INSERT INTO consents (user_id, client_id, resource, scope, client_version, created_at)
       VALUES (@user_id, @client_id, @resource, @scope, @client_version, @created_at)
       ON CONFLICT (user_id, client_id, resource) DO UPDATE SET
         scope = excluded.scope, client_version = excluded.client_version, created_at = excluded.created_at`,
    ),

    insertGrantIfNew: prep<GrantRow>(
      `INSERT INTO grants (id, user_id, client_id, resource, scope, created_at, auth_time, revoked_at, revoked_reason)
       VALUES (@id, @user_id, @client_id, @resource, @scope, @created_at, @auth_time, @revoked_at, @revoked_reason)
       ON CONFLICT (id) DO NOTHING`,
    ),
    grant: prep<[string], GrantRow>('SELECT * FROM grants WHERE id = ?'),
    // set once: a second revocation keeps the first time and reason
    revokeGrant: prep<[number, string, string]>(
      'UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    deleteGrantRefreshTokens: prep<[string]>('DELETE FROM refresh_tokens WHERE grant_id = ?'),
    revokedGrantIds: prep<[number], { id: string }>('SELECT id FROM grants WHERE revoked_at >= ? ORDER BY revoked_at, id'),
    liveGrantIdsForUser: prep<[string], { id: string }>('SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL ORDER BY id'),
    liveGrantIdsForClient: prep<[string], { id: string }>('SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NULL ORDER BY id'),
    // last use = the newest refresh token of the grant (issued at code exchange and at every rotation), else creation
    listGrants: prep<{ user_id: string | null; client_id: string | null; include_revoked: number }, GrantRow & { last_used_at: number }>(
      `SELECT g.*, COALESCE((SELECT MAX(t.created_at) FROM refresh_tokens t WHERE t.grant_id = g.id), g.created_at) AS last_used_at
       FROM grants g
       WHERE (@user_id IS NULL OR g.user_id = @user_id) AND (@client_id IS NULL OR g.client_id = @client_id)
         AND (@include_revoked = 1 OR g.revoked_at IS NULL)
       ORDER BY g.created_at DESC, g.id`,
    ),

    insertCode: prep<CodeRow>(
      `INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge,
         code_challenge_method, scope, resource, nonce, auth_time, created_at, expires_at, consumed_at)
       VALUES (@code_hash, @grant_id, @client_id, @user_id, @redirect_uri, @code_challenge,
         @code_challenge_method, @scope, @resource, @nonce, @auth_time, @created_at, @expires_at, @consumed_at)`,
    ),
    // the whole single-use check is this one statement, so it is atomic across connections
    consumeCode: prep<{ code_hash: string; now: number }, CodeRow>(
      `UPDATE authorization_codes SET consumed_at = @now
       WHERE code_hash = @code_hash AND consumed_at IS NULL AND expires_at > @now
         AND EXISTS (SELECT 1 FROM grants g WHERE g.id = grant_id AND g.revoked_at IS NULL)
       RETURNING *`,
    ),
    codeWithGrant: prep<[string], WithGrantState<CodeRow>>(
      `SELECT c.*, g.revoked_at AS grant_revoked_at
       FROM authorization_codes c JOIN grants g ON g.id = c.grant_id WHERE c.code_hash = ?`,
    ),

    insertRefresh: prep<RefreshRow>(
      `INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at,
         expires_at, absolute_expires_at, rotated_at, grace_response)
       VALUES (@token_hash, @grant_id, @client_id, @user_id, @scope, @resource, @created_at,
         @expires_at, @absolute_expires_at, @rotated_at, @grace_response)`,
    ),
    refresh: prep<[string], RefreshRow>('SELECT * FROM refresh_tokens WHERE token_hash = ?'),
    refreshWithGrant: prep<[string], WithGrantState<RefreshRow>>(
      `SELECT t.*, g.revoked_at AS grant_revoked_at
       FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = ?`,
    ),
    markRotated: prep<{ token_hash: string; now: number; grace_response: string }, RefreshRow>(
      `UPDATE refresh_tokens SET rotated_at = @now, grace_response = @grace_response
       WHERE token_hash = @token_hash AND rotated_at IS NULL RETURNING *`,
    ),

    // a key whose previous use has expired may be used again (the row is taken over in the same statement)
    useJti: prep<{ issuer: string; jti: string; expires_at: number; now: number }>(
      `INSERT INTO used_jtis (issuer, jti, expires_at) VALUES (@issuer, @jti, @expires_at)
       ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at <= @now`,
    ),

    signingKeys: prep<[], SigningKeyRow>('SELECT * FROM signing_keys ORDER BY created_at, kid'),
    upsertSigningKey: prep<SigningKeyRow>(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_enc, created_at, activates_at, retired_at)
       VALUES (@kid, @alg, @public_jwk, @private_jwk_enc, @created_at, @activates_at, @retired_at)
       ON CONFLICT (kid) DO UPDATE SET alg = excluded.alg, public_jwk = excluded.public_jwk,
         private_jwk_enc = excluded.private_jwk_enc, created_at = excluded.created_at,
         activates_at = excluded.activates_at, retired_at = excluded.retired_at`,
    ),

    purge: [
      'DELETE FROM interactions WHERE expires_at <= @now',
      'DELETE FROM sessions WHERE expires_at <= @now',
      'DELETE FROM authorization_codes WHERE expires_at <= @now',
      'DELETE FROM refresh_tokens WHERE expires_at <= @now OR absolute_expires_at <= @now',
      'DELETE FROM used_jtis WHERE expires_at <= @now',
    ].map((sql) => prep<{ now: number }>(sql)),
    clearGraceResponses: prep<[number]>(
      'UPDATE refresh_tokens SET grace_response = NULL WHERE grace_response IS NOT NULL AND rotated_at < ?',
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
