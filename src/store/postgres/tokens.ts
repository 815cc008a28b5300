import {
  StoreConflictError,
  type AuthorizationCodeRecord,
  type ConsumeCodeResult,
  type GrantFilter,
  type GrantRecord,
  type GrantSummary,
  type RefreshTokenRecord,
  type RotateResult,
} from '../types.js';
import { REFRESH_REUSE_REASON, rotationStep } from '../rules.js';
import { all, conflictAs, one, run, transaction, type Pool, type Queryable } from './db.js';
import { codeParams, grantParams, refreshParams, toCode, toGrant, toRefresh, type WithGrantState } from './rows.js';

export const INSERT_GRANT_IF_NEW = `INSERT INTO grants (id, user_id, client_id, resource, scope, created_at, revoked_at, revoked_reason, auth_time)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`;
const INSERT_CODE = `INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge,
    code_challenge_method, scope, resource, nonce, auth_time, created_at, expires_at, consumed_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;
const INSERT_REFRESH = `INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, created_at,
    expires_at, absolute_expires_at, rotated_at, grace_response)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
const CODE_WITH_GRANT = `SELECT c.*, g.revoked_at AS grant_revoked_at
  FROM authorization_codes c JOIN grants g ON g.id = c.grant_id WHERE c.code_hash = $1`;

/**
 * Grants, authorization codes, refresh tokens and revocation on PostgreSQL. Every single-use operation is one
 * statement or one transaction, so it holds across instances (ARCHITECTURE "Deployment"). Row locks are taken
 * grant first, then its codes or tokens — the order a revocation (UPDATE grants, then DELETE its tokens) takes them.
 */
export class PostgresTokens {
  constructor(private readonly pool: Pool) {}

  async createGrant(grant: GrantRecord): Promise<void> {
    if ((await run(this.pool, INSERT_GRANT_IF_NEW, grantParams(grant))) === 0) throw new StoreConflictError('grant already exists');
  }

  async createGrantWithCode(grant: GrantRecord, code: AuthorizationCodeRecord): Promise<void> {
    await conflictAs('authorization code already exists', () =>
      transaction(this.pool, async (c) => {
        await c.query(INSERT_GRANT_IF_NEW, grantParams(grant));
        await c.query(INSERT_CODE, codeParams(code));
      }),
    );
  }

  async getGrant(id: string): Promise<GrantRecord | null> {
    const row = await one<GrantRecord>(this.pool, 'SELECT * FROM grants WHERE id = $1', [id]);
    return row ? toGrant(row) : null;
  }

  async getAuthorizationCode(code_hash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    const row = await one<WithGrantState<AuthorizationCodeRecord>>(this.pool, CODE_WITH_GRANT, [code_hash]);
    if (!row || row.expires_at <= now || row.grant_revoked_at !== null) return null;
    return toCode(row);
  }

  async consumeAuthorizationCode(code_hash: string, now: number): Promise<ConsumeCodeResult> {
    // OAuth 2.1 §4.1.3: a code is redeemable once. One statement: the grant row is share-locked (a concurrent
    // revocation waits, or wins and the code is not consumed), and concurrent UPDATEs of the code row queue on its
    // row lock, each re-checking `consumed_at IS NULL` on the newest version once the one before commits.
    const consumed = await one<AuthorizationCodeRecord>(
      this.pool,
      `WITH live AS (
         SELECT g.id FROM grants g JOIN authorization_codes c ON c.grant_id = g.id
         WHERE c.code_hash = $1 AND g.revoked_at IS NULL FOR SHARE OF g)
       UPDATE authorization_codes SET consumed_at = $2
       WHERE code_hash = $1 AND consumed_at IS NULL AND expires_at > $2 AND grant_id IN (SELECT id FROM live)
       RETURNING *`,
      [code_hash, now],
    );
    if (consumed) return { kind: 'ok', code: toCode(consumed) };
    // not consumed now: tell a reuse (live code, live grant, consumed before) from everything else
    const row = await one<WithGrantState<AuthorizationCodeRecord>>(this.pool, CODE_WITH_GRANT, [code_hash]);
    if (!row || row.expires_at <= now || row.grant_revoked_at !== null || row.consumed_at === null) {
      return { kind: 'not_found' };
    }
    return { kind: 'reused', code: toCode(row) };
  }

  /** revocation inside the caller's transaction: set once (first time and reason kept), refresh tokens deleted */
  private async revokeInTx(c: Queryable, id: string, now: number, reason: string): Promise<void> {
    await c.query('UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL', [now, reason, id]);
    await c.query('DELETE FROM refresh_tokens WHERE grant_id = $1', [id]);
  }

  async revokeGrant(id: string, now: number, reason: string): Promise<void> {
    await transaction(this.pool, (c) => this.revokeInTx(c, id, now, reason));
  }

  async listRevokedGrantIds(since: number): Promise<string[]> {
    const rows = await all<{ id: string }>(this.pool, 'SELECT id FROM grants WHERE revoked_at >= $1 ORDER BY revoked_at, id', [since]);
    return rows.map((r) => r.id);
  }

  /**
   * Revokes every live grant where `column` = value, and their refresh tokens, in one transaction. The grants are
   * locked in id order (two bulk revocations never deadlock) and re-checked once locked, so a grant revoked
   * meanwhile keeps its first revocation and is not listed; one created after the statement began is left live.
   */
  private async revokeMany(column: 'user_id' | 'client_id', value: string, now: number, reason: string): Promise<string[]> {
    return transaction(this.pool, async (c) => {
      const rows = await all<{ id: string }>(
        c,
        `WITH target AS (
           SELECT id FROM grants WHERE ${column} = $1 AND revoked_at IS NULL ORDER BY id FOR NO KEY UPDATE)
         UPDATE grants g SET revoked_at = $2, revoked_reason = $3
         FROM target WHERE g.id = target.id AND g.revoked_at IS NULL
         RETURNING g.id`,
        [value, now, reason],
      );
      const ids = rows.map((r) => r.id).sort();
      if (ids.length) await c.query('DELETE FROM refresh_tokens WHERE grant_id = ANY($1::text[])', [ids]);
      return ids;
    });
  }

  async revokeGrantsForUser(user_id: string, now: number, reason: string): Promise<string[]> {
    return this.revokeMany('user_id', user_id, now, reason);
  }

  async revokeGrantsForClient(client_id: string, now: number, reason: string): Promise<string[]> {
    return this.revokeMany('client_id', client_id, now, reason);
  }

  async listGrants(filter: GrantFilter): Promise<GrantSummary[]> {
    // last use = the newest refresh token of the grant (issued at code exchange and at every rotation), else creation
    const rows = await all<GrantRecord & { last_used_at: number }>(
      this.pool,
      `SELECT g.*, COALESCE((SELECT MAX(t.created_at) FROM refresh_tokens t WHERE t.grant_id = g.id), g.created_at) AS last_used_at
       FROM grants g
       WHERE ($1::text IS NULL OR g.user_id = $1) AND ($2::text IS NULL OR g.client_id = $2)
         AND ($3::boolean OR g.revoked_at IS NULL)
       ORDER BY g.created_at DESC, g.id`,
      [filter.user_id ?? null, filter.client_id ?? null, filter.include_revoked === true],
    );
    return rows.map(({ last_used_at, ...g }) => ({ ...toGrant(g), last_used_at }));
  }

  async putRefreshToken(t: RefreshTokenRecord): Promise<void> {
    // never an upsert: overwriting a token could reset its rotation state
    await conflictAs('refresh token already exists', () => run(this.pool, INSERT_REFRESH, refreshParams(t)));
  }

  async getRefreshToken(token_hash: string): Promise<RefreshTokenRecord | null> {
    const row = await one<RefreshTokenRecord>(this.pool, 'SELECT * FROM refresh_tokens WHERE token_hash = $1', [token_hash]);
    return row ? toRefresh(row) : null;
  }

  async rotateRefreshToken(
    old_hash: string,
    next: RefreshTokenRecord,
    grace_response: string,
    now: number,
    grace_ms: number,
  ): Promise<RotateResult> {
    return conflictAs('next refresh token already exists', () =>
      transaction(this.pool, async (c): Promise<RotateResult> => {
        // the grant row first (rotations of one grant queue here, and a revocation cannot interleave), then the
        // token row; each statement sees every rotation committed before it (READ COMMITTED)
        await c.query(
          'SELECT id FROM grants WHERE id = (SELECT grant_id FROM refresh_tokens WHERE token_hash = $1) FOR NO KEY UPDATE',
          [old_hash],
        );
        const row = await one<WithGrantState<RefreshTokenRecord>>(
          c,
          `SELECT t.*, g.revoked_at AS grant_revoked_at
           FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = $1 FOR UPDATE OF t`,
          [old_hash],
        );
        const step = rotationStep(row, now, grace_ms);
        if (step === 'dead') return { kind: 'not_found' };
        const old = toRefresh(row!);
        if (step === 'grace') return { kind: 'grace', old };
        if (step === 'reuse') {
          await this.revokeInTx(c, old.grant_id, now, REFRESH_REUSE_REASON);
          return { kind: 'reused', old };
        }
        const rotated = await one<RefreshTokenRecord>(
          c,
          `UPDATE refresh_tokens SET rotated_at = $2, grace_response = $3
           WHERE token_hash = $1 AND rotated_at IS NULL RETURNING *`,
          [old_hash, now, grace_response],
        );
        if (!rotated) throw new Error('refresh token changed inside its rotation transaction');
        await c.query(INSERT_REFRESH, refreshParams(next));
        return { kind: 'rotated', old: toRefresh(rotated) };
      }),
    );
  }

  async useJti(issuer: string, jti: string, expires_at: number, now: number): Promise<boolean> {
    // RFC 7523 §3 / ID-JAG: reject a jti seen before until it expires. One statement: a concurrent insert of the
    // same key waits for the first to commit, then finds the conflict; an expired row is taken over in place
    const changed = await run(
      this.pool,
      `INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE used_jtis.expires_at <= $4`,
      [issuer, jti, expires_at, now],
    );
    return changed === 1;
  }
}
