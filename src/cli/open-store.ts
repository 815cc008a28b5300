import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ROLES, demoResource } from '../demo/config.js';
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
  // A demo data dir (serve --demo keeps its password there): the admin commands see the demo's roles and scope
  // hierarchy, as the server does, so `users roles` checks role names and revokes what the new roles exclude.
  if (config.resources.length === 0 && !config.roles && existsSync(join(config.data_dir, 'demo-password'))) {
    config.resources = [demoResource(undefined)];
    config.roles = { ...DEMO_ROLES };
  }
  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  await store.migrate();
  return { config, store };
}

export const STORE_OPTIONS = { config: { type: 'string' }, 'data-dir': { type: 'string' }, store: { type: 'string' } } as const;
