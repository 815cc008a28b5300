import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { openStore } from '../../src/store/open.js';
import { openPostgresStore, PostgresStore } from '../../src/store/postgres/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/postgres/schema.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { storeContract } from './contract.js';
import { assertGrantAuthTimeMigrated, code, grant, refresh, T0, user } from './fixtures.js';
import { PG_URL, withPostgres } from './pg-harness.js';

await withPostgres((pg) => {
  // the whole shared contract, each test on a new, empty schema (ARCHITECTURE "Layout": one suite for both stores)
  storeContract('PostgreSQL', async () => openPostgresStore((await pg.schema()).url));

  describe('PostgreSQL store', () => {
    const versions = async (schema: string): Promise<number[]> =>
      (await pg.admin(`SELECT version FROM ${schema}.schema_version ORDER BY version`)).rows.map((r: { version: number }) => r.version);

    test('records every migration in schema_version; the same numbers as SQLite (store.migrate.versions)', async () => {
      const { name, url } = await pg.schema();
      const store = await openPostgresStore(url);
      try {
        await store.migrate(); // idempotent
        assert.equal(SCHEMA_VERSION, SQLITE_SCHEMA_VERSION);
        assert.deepEqual(await versions(name), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
        assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
      } finally {
        await store.close();
      }
    });

    test('instances starting together migrate once, under the advisory lock (store.migrate.concurrent)', async () => {
      const { name, url } = await pg.schema();
      const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(url, { max: 2 })));
      try {
        assert.deepEqual(await versions(name), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
        await stores[0]!.createUser(user({ id: 'u-shared' }));
        assert.equal((await stores[5]!.getUser('u-shared'))?.id, 'u-shared');
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test('a version-1 schema (before the audit log) is migrated in place, its data kept (store.migrate.upgrade)', async () => {
      const { name, url } = await pg.schema();
      await pg.admin(`BEGIN; SET LOCAL search_path = ${name}; CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
        ${MIGRATIONS[0]!}
        INSERT INTO schema_version VALUES (1, 0);
        INSERT INTO users (id, username, password_hash, roles, disabled, created_at) VALUES ('u1', 'old', 'h', '[]', false, 0);
        COMMIT`);
      const store = await openPostgresStore(url);
      try {
        assert.equal((await store.getUser('u1'))?.username, 'old');
        assert.equal(await store.getAuditHead(), null);
        assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
      } finally {
        await store.close();
      }
    });

    test('migration 5 on a version-4 schema: grants gain auth_time, NULL for the rows already there, which are kept (store.grant.auth-time)', async () => {
      const { name, url } = await pg.schema();
      await pg.admin(`BEGIN; SET LOCAL search_path = ${name}; CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
        ${MIGRATIONS.slice(0, 4).join('\n')}
        INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0);
        INSERT INTO grants (id, user_id, client_id, resource, scope, created_at, revoked_at, revoked_reason)
          VALUES ('g-old', 'u1', 'c1', 'https://mcp.example/mcp', '["openid"]', ${T0}, NULL, NULL);
        COMMIT`);
      const store = await openPostgresStore(url);
      try {
        assert.equal(await store.schemaVersion(), 5);
        await assertGrantAuthTimeMigrated(store);
      } finally {
        await store.close();
      }
    });

    test('refuses a schema newer than this code', async () => {
      const { name, url } = await pg.schema();
      await (await openPostgresStore(url)).close();
      await pg.admin(`INSERT INTO ${name}.schema_version (version, applied_at) VALUES ($1, 0)`, [SCHEMA_VERSION + 1]);
      await assert.rejects(openPostgresStore(url), /newer than this Portcullis/);
    });

    test('data survives close and reopen; a new pool sees the consumed code (store.persistence)', async () => {
      const { url } = await pg.schema();
      const u = user();
      const g = grant();
      const c = code(g);
      const rt = refresh(g);
      const first = await openPostgresStore(url);
      await first.createUser(u);
      await first.createGrantWithCode(g, c);
      await first.putRefreshToken(rt);
      assert.equal((await first.consumeAuthorizationCode(c.code_hash, T0)).kind, 'ok');
      await first.close();
      await first.close(); // idempotent
      const second = await openPostgresStore(url);
      try {
        assert.deepEqual(await second.getUser(u.id), u);
        assert.deepEqual(await second.getGrant(g.id), g);
        assert.deepEqual(await second.getRefreshToken(rt.token_hash), rt);
        assert.equal((await second.consumeAuthorizationCode(c.code_hash, T0 + 1)).kind, 'reused');
      } finally {
        await second.close();
      }
    });

    test('foreign keys are enforced; the audit log refuses UPDATE, DELETE and TRUNCATE', async () => {
      const { name, url } = await pg.schema();
      const store = await openPostgresStore(url);
      try {
        await assert.rejects(store.putRefreshToken(refresh(grant())), /foreign key/);
        await store.appendAudit(() => [{ seq: 1, time: T0, type: 't', user_id: null, client_id: null, subject: null, data: '{}', prev_mac: '', mac: 'm' }]);
        await assert.rejects(pg.admin(`UPDATE ${name}.audit_log SET type = 'x'`), /append-only/);
        await assert.rejects(pg.admin(`DELETE FROM ${name}.audit_log`), /append-only/);
        await assert.rejects(pg.admin(`TRUNCATE ${name}.audit_log`), /append-only/);
        assert.equal((await store.listAudit({ limit: 10 })).length, 1);
      } finally {
        await store.close();
      }
    });

    test('JSON text is kept exactly as written (audit data under its MAC, client documents, JWKs)', async () => {
      const { url } = await pg.schema();
      const store = await openPostgresStore(url);
      try {
        const data = '{"z":1,  "a":"\\u0000 nul","b":[2, 1]}';
        await store.appendAudit(() => [{ seq: 1, time: T0, type: 't', user_id: null, client_id: null, subject: null, data, prev_mac: '', mac: 'm' }]);
        assert.equal((await store.listAudit({ limit: 1 }))[0]?.data, data);
        const document = '{"client_name":"App \\u0000","client_id":"https://a.example/c.json"}';
        assert.equal((await store.observeClientTrust({ client_id: 'c', document, version: 'v', now: T0 })).document, document);
        assert.equal((await store.getClientTrust('c'))?.document, document);
        const metadata = { client_name: 'N\u0000L', redirect_uris: ['http://127.0.0.1/cb'] };
        await store.createRegisteredClient({ client_id: 'r', client_secret_hash: null, metadata, client_id_issued_at: T0, expires_at: T0 + 1 });
        assert.deepEqual((await store.getRegisteredClient('r'))?.metadata, metadata);
      } finally {
        await store.close();
      }
    });
  });

  describe('openStore with a PostgreSQL URL', () => {
    test('postgres:// and postgresql:// open the PostgreSQL store', async () => {
      const { url } = await pg.schema();
      for (const u of [url, url.replace(/^postgres:/, 'postgresql:')]) {
        const store = await openStore(u);
        try {
          assert.ok(store instanceof PostgresStore);
          await store.createUser(user());
        } finally {
          await store.close();
        }
      }
    });

    test('an unreachable server or a missing database fails at start-up naming the option, without the URL', async () => {
      const refused = new URL(PG_URL);
      refused.port = '1';
      refused.password = 'secret-pw';
      await assert.rejects(openStore(refused.href), (e: Error) => e instanceof ConfigError && e.option === 'store' && !e.message.includes('secret-pw'));
      const missing = new URL(PG_URL);
      missing.pathname = '/no_such_db_for_portcullis';
      await assert.rejects(openStore(missing.href), (e: Error) => e instanceof ConfigError && /3D000/.test(e.message));
    });
  });
});
