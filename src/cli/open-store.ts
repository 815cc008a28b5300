import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';

/** The store that `serve` with the same --config / --data-dir / --store uses (admin commands work beside it). */
export async function openConfiguredStore(values: { config?: string; 'data-dir'?: string; store?: string }): Promise<{ config: Config; store: Store }> {
  const flags: Record<string, unknown> = {};
  if (values['data-dir']) flags.data_dir = values['data-dir'];
  if (values.store) flags.store = values.store;
  const { config } = loadConfig({ file: values.config, flags });
  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  await store.migrate();
  return { config, store };
}

export const STORE_OPTIONS = { config: { type: 'string' }, 'data-dir': { type: 'string' }, store: { type: 'string' } } as const;
