import { createClientResolver } from '../../../src/as/clients/index.js';
import type { SafeFetchResult } from '../../../src/net/types.js';
import type { Harness } from '../../helpers/as-harness.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';

export const CIMD_URL = 'https://app.example.com/oauth/client.json';

export const cimdDoc = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  client_id: CIMD_URL,
  client_name: 'Example App',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  ...o,
});

/**
 * Serves CIMD documents from memory (an in-process stand-in for the safe fetch): `docs` maps URL → document,
 * answered with no-store so every change is seen at once. `calls` lists every fetched URL.
 */
export function serveCimd(h: Harness, docs: Map<string, Record<string, unknown>> = new Map([[CIMD_URL, cimdDoc()]])) {
  const calls: string[] = [];
  h.ctx.clients = createClientResolver(h.ctx.settings.config, {
    dev: true,
    clock: h.clock.fn,
    store: h.store,
    fetch: async (url): Promise<SafeFetchResult> => {
      calls.push(url);
      const doc = docs.get(url);
      return {
        status: doc ? 200 : 404,
        headers: new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' }),
        body: new TextEncoder().encode(JSON.stringify(doc ?? {})),
        address: '93.184.215.14',
      };
    },
  });
  return { docs, calls };
}

/** every row of every table, hashed (test/as/bad-input.test.ts): "unchanged" means the same rows */
export function fingerprint(h: Harness): string {
  return storeFingerprint(h.store);
}
