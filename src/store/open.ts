import { ConfigError } from '../core/errors.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

/**
 * Opens the store named by the `store` option: `sqlite:<file>` (relative to the working directory;
 * `sqlite::memory:` for a private in-memory store) or `postgres://…` / `postgresql://…` (many instances on one
 * database; a schema other than `public` with `?options=-c search_path=NAME`). Misuse fails at start-up
 * naming the option (ARCHITECTURE "Two error channels").
 */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === '') throw new ConfigError('store', 'sqlite: needs a file, e.g. sqlite:./data/portcullis.db');
    return openSqliteStore(file);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // loaded only when asked for, so the embedded default never loads the pg driver
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore(url);
  }
  throw new ConfigError('store', `unsupported store URL (expected sqlite:<file> or postgres://…)`);
}
