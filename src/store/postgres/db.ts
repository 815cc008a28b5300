import pg from 'pg';
import { StoreConflictError } from '../types.js';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

export interface PostgresOptions {
  /** the most connections this instance holds open (default 10); N instances hold at most N × max */
  max?: number;
}

/**
 * Column types as the store wants them: BIGINT (epoch-ms times, audit seq) as a number (exact below 2^53), and
 * `json` columns as their exact text (the audit `data` and client documents are compared byte for byte, and
 * `json`, unlike JSONB, keeps the text as written). JSONB still arrives parsed. Per pool, never global.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    if (oid === pg.types.builtins.JSON) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A bounded pool for `url` (any libpq-style URL; `?options=-c search_path=…` selects a schema). */
export function createPool(url: string, o: PostgresOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    types,
    application_name: 'portcullis',
  });
  // an idle connection that the server drops (restart, failover) is discarded by the pool; without a listener
  // the 'error' event would crash the process
  pool.on('error', () => {});
  return pool;
}

/** the SQLSTATE of a server error, or the errno code of a socket error */
export const errorCode = (e: unknown): string | undefined => {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
};
const isPgError = (e: unknown, ...codes: string[]): boolean => codes.includes(errorCode(e) ?? '');

/** 23505 unique_violation (primary keys included) */
export const isUniqueViolation = (e: unknown): boolean => isPgError(e, '23505');

/** runs `write`, turning a primary-key or unique violation into StoreConflictError */
export async function conflictAs<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreConflictError(message);
    throw e;
  }
}

/** deadlock_detected and serialization_failure: the database rolled the transaction back; running it again is safe */
const isRetryable = (e: unknown): boolean => isPgError(e, '40P01', '40001');
const ATTEMPTS = 5;

/**
 * Runs `work` in one transaction on one pooled connection (READ COMMITTED; each method takes the row locks it
 * needs, grants before their codes and tokens, so lock order is the same everywhere). A transaction the server
 * aborted for a deadlock or a serialization failure is run again from the start, so `work` must be safe to rerun.
 */
export async function transaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await c.query('ROLLBACK');
      } catch (rollbackFailed) {
        broken = rollbackFailed as Error; // the connection is unusable: the pool must not hand it out again
      }
      if (!broken && isRetryable(e) && attempt < ATTEMPTS) continue;
      throw e;
    } finally {
      c.release(broken);
    }
  }
}

/** the one row a query returned, or null */
export async function one<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R | null> {
  const r = await db.query<R>(sql, params);
  return r.rows[0] ?? null;
}

export async function all<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

/** rows changed by an INSERT, UPDATE or DELETE */
export async function run(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}

/**
 * Advisory-lock keys: the first half names what is locked, the second is the schema, so that deployments sharing
 * one database in different schemas do not wait for each other (a hash collision only serializes more).
 */
export const LOCK = {
  migrate: 0x50430001, // 'PC' 1
  audit: 0x50430002, // 'PC' 2
} as const;

export const lockSql = (key: number): string =>
  `SELECT pg_advisory_xact_lock(${key}, hashtext(COALESCE(current_schema(), '')))`;
