import type Database from 'better-sqlite3';
import { REFRESH_REUSE_REASON, rotationStep } from '../rules.js';
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
import { conflictAs } from './conflict.js';
import { codeRow, grantRow, refreshRow, toCode, toGrant, toRefresh } from './rows.js';
import type { Statements } from './statements.js';

/**
 * Grants, authorization codes, refresh tokens, revocation and single-use JWT ids on SQLite (as
 * src/store/postgres/tokens.ts on PostgreSQL). Each multi-statement write is one IMMEDIATE transaction.
 */
export class SqliteTokens {
  private readonly tx: ReturnType<SqliteTokens['transactions']>;

  constructor(
    private readonly db: Database.Database,
    private readonly q: Statements,
  ) {
    this.tx = this.transactions();
  }

  /** multi-statement writes, each one IMMEDIATE transaction (run with `.immediate(...)`) */
  private transactions() {
    return {
      createGrantWithCode: this.db.transaction((grant: GrantRecord, code: AuthorizationCodeRecord) => {
        this.q.insertGrantIfNew.run(grantRow(grant));
        this.q.insertCode.run(codeRow(code));
      }),
      revokeGrant: this.db.transaction((id: string, now: number, reason: string) => this.revokeInTx(id, now, reason)),
      revokeMany: this.db.transaction((ids: () => string[], now: number, reason: string) => {
        const revoked = ids();
        for (const id of revoked) this.revokeInTx(id, now, reason);
        return revoked;
      }),
      rotate: this.db.transaction(
        (old_hash: string, next: RefreshTokenRecord, grace_response: string, now: number, grace_ms: number) =>
          this.rotateInTx(old_hash, next, grace_response, now, grace_ms),
      ),
    };
  }

  // grants and codes

  async createGrant(grant: GrantRecord): Promise<void> {
    const r = this.q.insertGrantIfNew.run(grantRow(grant));
    if (r.changes === 0) throw new StoreConflictError('grant already exists');
  }

  async createGrantWithCode(grant: GrantRecord, code: AuthorizationCodeRecord): Promise<void> {
    conflictAs('authorization code already exists', () => this.tx.createGrantWithCode.immediate(grant, code));
  }

  async getGrant(id: string): Promise<GrantRecord | null> {
    const row = this.q.grant.get(id);
    return row ? toGrant(row) : null;
  }

  async getAuthorizationCode(code_hash: string, now: number): Promise<AuthorizationCodeRecord | null> {
    const row = this.q.codeWithGrant.get(code_hash);
    if (!row || row.expires_at <= now || row.grant_revoked_at !== null) return null;
    return toCode(row);
  }

  async consumeAuthorizationCode(code_hash: string, now: number): Promise<ConsumeCodeResult> {
    // OAuth 2.1 §4.1.3: a code is redeemable once; the UPDATE is the atomic check-and-set
    const consumed = this.q.consumeCode.get({ code_hash, now });
    if (consumed) return { kind: 'ok', code: toCode(consumed) };
    // not consumed now: tell a reuse (live code, live grant, consumed before) from everything else
    const row = this.q.codeWithGrant.get(code_hash);
    if (!row || row.expires_at <= now || row.grant_revoked_at !== null || row.consumed_at === null) {
      return { kind: 'not_found' };
    }
    return { kind: 'reused', code: toCode(row) };
  }

  /** revocation inside the caller's transaction: set once, refresh tokens deleted */
  private revokeInTx(id: string, now: number, reason: string): void {
    this.q.revokeGrant.run(now, reason, id);
    this.q.deleteGrantRefreshTokens.run(id);
  }

  async revokeGrant(id: string, now: number, reason: string): Promise<void> {
    this.tx.revokeGrant.immediate(id, now, reason);
  }

  async listRevokedGrantIds(since: number): Promise<string[]> {
    return this.q.revokedGrantIds.all(since).map((r) => r.id);
  }

  async revokeGrantsForUser(user_id: string, now: number, reason: string): Promise<string[]> {
    // the live ids are read inside the IMMEDIATE transaction, so a grant created meanwhile is either listed or later
    return this.tx.revokeMany.immediate(() => this.q.liveGrantIdsForUser.all(user_id).map((r) => r.id), now, reason);
  }

  async revokeGrantsForClient(client_id: string, now: number, reason: string): Promise<string[]> {
    return this.tx.revokeMany.immediate(() => this.q.liveGrantIdsForClient.all(client_id).map((r) => r.id), now, reason);
  }

  async listGrants(filter: GrantFilter): Promise<GrantSummary[]> {
    const rows = this.q.listGrants.all({ user_id: filter.user_id ?? null, client_id: filter.client_id ?? null, include_revoked: filter.include_revoked ? 1 : 0 });
    return rows.map(({ last_used_at, ...g }) => ({ ...toGrant(g), last_used_at }));
  }

  // refresh tokens

  async putRefreshToken(t: RefreshTokenRecord): Promise<void> {
    // never an upsert: overwriting a token could reset its rotation state
    conflictAs('refresh token already exists', () => this.q.insertRefresh.run(refreshRow(t)));
  }

  async getRefreshToken(token_hash: string): Promise<RefreshTokenRecord | null> {
    const row = this.q.refresh.get(token_hash);
    return row ? toRefresh(row) : null;
  }

  private rotateInTx(
    old_hash: string,
    next: RefreshTokenRecord,
    grace_response: string,
    now: number,
    grace_ms: number,
  ): RotateResult {
    const row = this.q.refreshWithGrant.get(old_hash);
    const step = rotationStep(row, now, grace_ms);
    if (step === 'dead') return { kind: 'not_found' };
    const old = toRefresh(row!);
    if (step === 'grace') return { kind: 'grace', old };
    if (step === 'reuse') {
      this.revokeInTx(old.grant_id, now, REFRESH_REUSE_REASON);
      return { kind: 'reused', old };
    }
    const rotated = this.q.markRotated.get({ token_hash: old_hash, now, grace_response });
    if (!rotated) throw new Error('refresh token changed inside its rotation transaction');
    this.q.insertRefresh.run(refreshRow(next));
    return { kind: 'rotated', old: toRefresh(rotated) };
  }

  async rotateRefreshToken(
    old_hash: string,
    next: RefreshTokenRecord,
    grace_response: string,
    now: number,
    grace_ms: number,
  ): Promise<RotateResult> {
    return conflictAs('next refresh token already exists', () =>
      this.tx.rotate.immediate(old_hash, next, grace_response, now, grace_ms),
    );
  }

  // single-use JWT ids

  async useJti(issuer: string, jti: string, expires_at: number, now: number): Promise<boolean> {
    // RFC 7523 §3 / ID-JAG: reject a jti seen before until it expires; one statement, so atomic
    return this.q.useJti.run({ issuer, jti, expires_at, now }).changes === 1;
  }
}
