import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/core/errors.js';
import { openStore } from '../../src/store/open.js';
import { openMemoryStore, openSqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { storeContract } from './contract.js';
import { assertGrantAuthTimeMigrated, code, grant, refresh, T0, user } from './fixtures.js';
import { race } from './race.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db-${++files}`, 'store.db');

storeContract('SQLite file', async () => openSqliteStore(tempFile()));
storeContract('SQLite in memory', async () => openMemoryStore());

describe('SQLite store', () => {
  test('creates the parent directory, runs in WAL mode and records the schema version', async () => {
    const file = join(dir, 'nested', 'deeper', 'store.db');
    const store = openSqliteStore(file);
    await store.migrate(); // idempotent
    await store.close();
    assert.ok(existsSync(file));
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const versions = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1);
      assert.deepEqual(db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all(), versions);
    } finally {
      db.close();
    }
  });

  test('data survives close and reopen of the same file', async () => {
    const file = tempFile();
    const u = user();
    const g = grant();
    const c = code(g);
    const rt = refresh(g);
    const first = openSqliteStore(file);
    await first.createUser(u);
    await first.createGrantWithCode(g, c);
    await first.putRefreshToken(rt);
    assert.equal((await first.consumeAuthorizationCode(c.code_hash, T0)).kind, 'ok');
    await first.close();

    const second = openSqliteStore(file);
    try {
      assert.deepEqual(await second.getUser(u.id), u);
      assert.deepEqual(await second.getGrant(g.id), g);
      assert.deepEqual(await second.getRefreshToken(rt.token_hash), rt);
      assert.equal((await second.consumeAuthorizationCode(c.code_hash, T0 + 1)).kind, 'reused');
    } finally {
      await second.close();
    }
  });

  test('a version-1 database (before the audit log) is migrated in place, its data kept (store.migrate.upgrade)', async () => {
    const file = tempFile();
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    db.exec(MIGRATIONS[0]!);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (1, 0)').run();
    db.prepare("INSERT INTO users (id, username, password_hash, roles, disabled, created_at) VALUES ('u1', 'old', 'h', '[]', 0, 0)").run();
    db.close();
    const store = openSqliteStore(file);
    try {
      assert.equal((await store.getUser('u1'))?.username, 'old');
      assert.equal(await store.getAuditHead(), null);
    } finally {
      await store.close();
    }
  });

  test('migration 5 on a version-4 database: grants gain auth_time, NULL for the rows already there, which are kept (store.grant.auth-time)', async () => {
    const file = tempFile();
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    for (let v = 1; v <= 4; v++) {
      db.exec(MIGRATIONS[v - 1]!);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(v);
    }
    db.prepare(`INSERT INTO grants (id, user_id, client_id, resource, scope, created_at, revoked_at, revoked_reason)
      VALUES ('g-old', 'u1', 'c1', 'https://mcp.example/mcp', '["openid"]', ?, NULL, NULL)`).run(T0);
    db.close();
    const store = openSqliteStore(file);
    try {
      assert.equal(SCHEMA_VERSION, 5);
      await assertGrantAuthTimeMigrated(store);
    } finally {
      await store.close();
    }
  });

  test('refuses a database whose schema is newer than this code', async () => {
    const file = tempFile();
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(SCHEMA_VERSION + 1);
    db.close();
    assert.throws(() => openSqliteStore(file), /newer than this Portcullis/);
  });

  test('foreign keys are enforced: a refresh token needs its grant', async () => {
    const store = openMemoryStore();
    try {
      await assert.rejects(store.putRefreshToken(refresh(grant())), /FOREIGN KEY/);
    } finally {
      await store.close();
    }
  });

  test('ARCHITECTURE Deployment: single-use operations hold across connections (as.token.code-single-use)', async () => {
    const n = 300;
    const outcomes = await race(tempFile(), n, 4);
    for (let i = 0; i < n; i++) {
      const codes = outcomes.map((o) => o.codes[i]);
      assert.equal(codes.filter((k) => k === 'ok').length, 1, `code ${i}: ${codes.join()}`);
      assert.equal(codes.filter((k) => k === 'reused').length, 3);
      const rotations = outcomes.map((o) => o.rotations[i]);
      assert.equal(rotations.filter((k) => k === 'rotated').length, 1, `refresh ${i}: ${rotations.join()}`);
      assert.equal(rotations.filter((k) => k === 'grace').length, 3);
      assert.equal(outcomes.filter((o) => o.jtis[i]).length, 1, `jti ${i}`);
    }
  });
});

describe('openStore', () => {
  test('sqlite:<file> opens the SQLite store; other schemes fail naming the option', async () => {
    const store = await openStore(`sqlite:${tempFile()}`);
    await store.createUser(user());
    await store.close();
    const memory = await openStore('sqlite::memory:');
    await memory.close();
    await assert.rejects(openStore('sqlite:'), /^ConfigError: store:/);
    await assert.rejects(openStore('mysql://db'), (e: Error) => e instanceof ConfigError && e.option === 'store');
  });
});
