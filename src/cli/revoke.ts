import { importJWK, type CryptoKey, type JWK } from 'jose';
import { parseArgs } from 'node:util';
import { findToken } from '../as/token-lookup.js';
import type { GrantRecord, Store } from '../store/types.js';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';
import { remoteRevoke } from './remote-commands.js';
import { remoteFrom, REMOTE_OPTIONS } from './remote.js';

export const ADMIN_REVOCATION_REASON = 'admin_cli';
const USAGE = 'usage: portcullis revoke --grant ID | --user NAME | --client CLIENT_ID | --token TOKEN|- [--remote URL [--token-file FILE]] [--config FILE] [--data-dir DIR] [--store URL]';

/**
 * `portcullis revoke`: writes revoked_at on grants in the store (and deletes their refresh tokens). A running
 * `serve` on the same store refuses their access tokens within ~1 s, through its revoked-grant poller
 * (ARCHITECTURE "Revocation"). Exit 0 when something was revoked or already was; 1 when nothing matched.
 */
export async function revokeCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { grant: { type: 'string' }, user: { type: 'string' }, client: { type: 'string' }, token: { type: 'string' }, ...STORE_OPTIONS, ...REMOTE_OPTIONS },
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const targets = (['grant', 'user', 'client', 'token'] as const).filter((k) => values[k] !== undefined);
  if (targets.length !== 1) throw new UsageError(`give exactly one of --grant, --user, --client, --token\n${USAGE}`);
  const remote = remoteFrom(values);
  if (remote) {
    if (values.token !== undefined) throw new UsageError('--token works locally only; with --remote give --grant, --user or --client');
    return remoteRevoke(remote, { ...(values.grant !== undefined ? { grant: values.grant } : {}), ...(values.user !== undefined ? { user: values.user } : {}), ...(values.client !== undefined ? { client: values.client } : {}) });
  }
  const token = values.token === '-' ? await readStdinLine() : values.token;
  if (values.token !== undefined && !token) throw new UsageError('--token needs a token (or - to read it from stdin)');

  const { store } = await openConfiguredStore(values);
  try {
    const now = Date.now();
    let ids: string[];
    if (values.grant !== undefined) {
      const grant = await store.getGrant(values.grant);
      if (!grant) return fail(`no grant ${values.grant}`);
      if (grant.revoked_at !== null) {
        console.log(`grant ${grant.id} was already revoked (${new Date(grant.revoked_at).toISOString()}, ${grant.revoked_reason ?? 'no reason'})`);
        return 0;
      }
      await store.revokeGrant(grant.id, now, ADMIN_REVOCATION_REASON);
      ids = [grant.id];
    } else if (values.user !== undefined) {
      const user = await store.getUserByName(values.user);
      if (!user) return fail(`no user ${values.user}`);
      ids = await store.revokeGrantsForUser(user.id, now, ADMIN_REVOCATION_REASON);
    } else if (values.client !== undefined) {
      ids = await store.revokeGrantsForClient(values.client, now, ADMIN_REVOCATION_REASON);
    } else {
      const grantId = await grantOfToken(store, token!);
      if (!grantId) return fail('not a token issued by this server (or its grant is gone)');
      const grant = await store.getGrant(grantId);
      if (!grant) return fail('the grant of this token no longer exists');
      ids = grant.revoked_at === null ? [grant.id] : [];
      if (grant.revoked_at === null) await store.revokeGrant(grant.id, now, ADMIN_REVOCATION_REASON);
    }
    await report(store, ids);
    return 0;
  } finally {
    await store.close();
  }
}

/** The grant a token belongs to; an access token must carry a valid signature by one of our keys. */
async function grantOfToken(store: Store, token: string): Promise<string | undefined> {
  const keys = new Map<string, CryptoKey>();
  for (const k of await store.listSigningKeys()) {
    keys.set(k.kid, (await importJWK(JSON.parse(k.public_jwk) as JWK, k.alg)) as CryptoKey);
  }
  // no issuer check: the CLI may not know the public issuer, and only our own keys can have signed the token
  const found = await findToken({ store, publicKey: (kid) => (kid ? keys.get(kid) : undefined) }, token);
  if (!found) return undefined;
  return found.kind === 'refresh_token' ? found.record.grant_id : found.claims.grant_id;
}

async function report(store: Store, ids: string[]): Promise<void> {
  if (ids.length === 0) {
    console.log('nothing to revoke: no live grants matched');
    return;
  }
  const grants = (await Promise.all(ids.map((id) => store.getGrant(id)))).filter((g): g is GrantRecord => g !== null);
  for (const g of grants) {
    const user = await store.getUser(g.user_id);
    console.log(`revoked grant ${g.id}  user ${user?.username ?? g.user_id}  client ${g.client_id}  resource ${g.resource}`);
  }
  console.log(`${grants.length} grant${grants.length === 1 ? '' : 's'} revoked; a running server refuses their tokens within about a second`);
}

function fail(message: string): number {
  console.error(`portcullis: ${message}`);
  return 1;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
}
