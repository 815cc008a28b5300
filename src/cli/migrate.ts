import { parseArgs } from 'node:util';
import { PostgresStore } from '../store/postgres/index.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../store/sqlite/schema.js';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';

const USAGE = 'usage: portcullis migrate [--store URL] [--config FILE] [--data-dir DIR]';

/**
 * `portcullis migrate`: brings the configured store's schema up to date and prints its version. `serve` migrates
 * at start too (safely when instances start together); this runs it ahead of a rolling deployment.
 */
export async function migrateCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: STORE_OPTIONS, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { store } = await openConfiguredStore(values); // opening migrates
  try {
    // the URL is not printed: it may carry a password
    const [backend, version] =
      store instanceof PostgresStore
        ? ['PostgreSQL', await store.schemaVersion()]
        : ['SQLite', SQLITE_SCHEMA_VERSION]; // a SQLite store that opened is at exactly this version
    console.log(`portcullis: ${backend} store schema version ${version}`);
    return 0;
  } finally {
    await store.close();
  }
}
