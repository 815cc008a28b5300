import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/schema.js';
import { withPostgres } from '../store/pg-harness.js';

/** runs `portcullis …` in process; returns the exit code and what it printed */
async function portcullis(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    return { code: await main(args), out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pc-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

await withPostgres((pg) => {
  describe('portcullis migrate (store.migrate.cli)', () => {
    test('applies the migrations of a PostgreSQL store and prints its schema version; again, nothing changes', async () => {
      const { name, url } = await pg.schema();
      for (let run = 0; run < 2; run++) {
        const { code, out } = await portcullis(['migrate', '--store', url, '--data-dir', dir]);
        assert.equal(code, 0);
        assert.equal(out, `portcullis: PostgreSQL store schema version ${SCHEMA_VERSION}`);
      }
      const rows = await pg.admin(`SELECT count(*)::int AS n FROM ${name}.schema_version`);
      assert.equal(rows.rows[0].n, SCHEMA_VERSION);
    });
  });
});

describe('portcullis migrate without PostgreSQL (store.migrate.cli)', () => {
  test('the default store is SQLite in the data dir', async () => {
    const { code, out } = await portcullis(['migrate', '--data-dir', dir]);
    assert.equal(code, 0);
    assert.match(out, /^portcullis: SQLite store schema version \d+$/);
  });

  test('a store that cannot be opened is a configuration error (exit 78); a stray argument is a usage error', async () => {
    const error = console.error;
    console.error = () => {};
    try {
      assert.equal((await portcullis(['migrate', '--store', 'postgres://nobody@127.0.0.1:1/none'])).code, 78);
      assert.equal((await portcullis(['migrate', 'extra'])).code, 2);
    } finally {
      console.error = error;
    }
  });
});
