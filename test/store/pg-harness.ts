import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';

/**
 * The PostgreSQL test server: PORTCULLIS_TEST_PG_URL (default the local trust-auth server). Each store a test
 * opens lives in a schema of its own (`pc_test_<random>`, selected by `options=-c search_path=…`), so test files
 * running in parallel never see each other's rows; every schema is dropped when the file ends.
 * An unreachable server FAILS the file: PostgreSQL is a supported backend and CI must exercise it. Only
 * PORTCULLIS_TEST_PG=skip, set on purpose, skips these tests.
 */
export const PG_URL = process.env.PORTCULLIS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SKIP = process.env.PORTCULLIS_TEST_PG === 'skip';

/** `url` with its search_path set to `schema` */
export function schemaUrl(schema: string, url = PG_URL): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.href;
}

export interface PgHarness {
  /** a new, empty schema; the URL that selects it */
  schema(): Promise<{ name: string; url: string }>;
  /** a statement on the server as the test's administrator (outside any test schema) */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
}

async function unreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs `body` (which registers the file's tests) against the server, or registers one failing test that says
 * why the server could not be used.
 */
export async function withPostgres(body: (h: PgHarness) => void): Promise<void> {
  if (SKIP) {
    test('PostgreSQL store', { skip: 'PORTCULLIS_TEST_PG=skip' }, () => {});
    return;
  }
  const problem = await unreachable();
  if (problem !== null) {
    test('PostgreSQL test server is reachable', () => {
      assert.fail(
        `cannot connect to PostgreSQL at ${new URL(PG_URL).host} (${problem}). Start it, point PORTCULLIS_TEST_PG_URL ` +
          'at one, or set PORTCULLIS_TEST_PG=skip to skip the PostgreSQL tests on purpose.',
      );
    });
    return;
  }
  const adminPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  adminPool.on('error', () => {});
  const created: string[] = [];
  after(async () => {
    for (const name of created) await adminPool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await adminPool.end();
  });
  body({
    async schema() {
      const name = `pc_test_${randomBytes(6).toString('hex')}`;
      await adminPool.query(`CREATE SCHEMA ${name}`);
      created.push(name);
      return { name, url: schemaUrl(name) };
    },
    admin: (sql, params) => adminPool.query(sql, params),
  });
}
