import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';
import { rotateOptions, rotateSigningKeysAudited } from '../as/keys.js';
import { AuditLog, defaultCheckpointFile, deriveAuditKeys } from '../audit/index.js';
import { loadMasterSecret, open } from '../core/secret.js';
import type { SigningKeyRecord } from '../store/types.js';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';

const USAGE = 'usage: portcullis keys list|rotate [--json] [--config FILE] [--data-dir DIR] [--store URL]';
const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19) + 'Z');

function state(k: SigningKeyRecord, now: number): string {
  if (k.retired_at !== null && k.retired_at <= now) return 'retired';
  if (k.activates_at > now) return 'published';
  return k.retired_at === null ? 'signing' : 'retiring';
}

/**
 * `portcullis keys list|rotate` (issue 6 item 3; ARCHITECTURE "Keys and the master secret"). `rotate` writes a
 * new key that every running instance publishes within `keys.reload_s` and that signs from now +
 * `keys.publish_before_s`; the key signing now is retired after the longest-lived token it may still sign
 * (that switch + access_token_ttl + clock_skew). Needs the same master secret as the servers.
 */
export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'rotate') throw new UsageError(USAGE);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, ...STORE_OPTIONS }, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { config, store } = await openConfiguredStore(values);
  try {
    const now = Date.now();
    if (sub === 'rotate') {
      const secret = loadMasterSecret(config.data_dir, process.env).key;
      const existing = await store.listSigningKeys();
      // a key sealed with another secret would be unusable by the servers: refuse before writing anything
      for (const k of existing.filter((r) => r.retired_at === null)) {
        try {
          open(secret, `signing-key:${k.kid}`, k.private_jwk_enc);
        } catch {
          console.error('portcullis: the master secret (PORTCULLIS_SECRET / PORTCULLIS_SECRET_FILE / <data-dir>/secret) does not open the existing keys; use the servers\' secret');
          return 1;
        }
      }
      let result;
      // issue 8: the rotation is an audited admin action, through the same function as the console
      const audit = new AuditLog({ store, keys: deriveAuditKeys(secret), checkpointFile: defaultCheckpointFile(config.data_dir), checkpointIntervalMs: 0 });
      try {
        result = await rotateSigningKeysAudited(store, secret, now, rotateOptions(config), audit, { name: `cli:${operatorName()}`, via: 'cli' });
      } catch (e) {
        console.error(`portcullis: ${(e as Error).message}`);
        return 1;
      } finally {
        await audit.close();
      }
      if (values.json) {
        console.log(JSON.stringify({ added: strip(result.added), retired: result.retired.map(strip) }, null, 2));
        return 0;
      }
      console.log(`new key ${result.added.kid}: published now, signs from ${when(result.added.activates_at)}`);
      for (const k of result.retired) console.log(`old key ${k.kid}: signs until then, retired (unpublished) at ${when(k.retired_at)}`);
      return 0;
    }
    const keys = await store.listSigningKeys();
    if (values.json) {
      console.log(JSON.stringify(keys.map((k) => ({ ...strip(k), state: state(k, now) })), null, 2));
      return 0;
    }
    const table = [['KID', 'STATE', 'CREATED', 'SIGNS FROM', 'RETIRED AT']];
    for (const k of keys) table.push([k.kid, state(k, now), when(k.created_at), when(k.activates_at), when(k.retired_at)]);
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    return 0;
  } finally {
    await store.close();
  }
}

/** a key record without its sealed private half */
const strip = (k: SigningKeyRecord) => ({ kid: k.kid, alg: k.alg, created_at: k.created_at, activates_at: k.activates_at, retired_at: k.retired_at });

/** the operator's OS account, for the audit entry of a rotation (the CLI has no signed-in user) */
function operatorName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
