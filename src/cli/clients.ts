import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { openStore } from '../store/open.js';
import type { ClientTrustRecord, Store } from '../store/types.js';
import { decideClient } from '../admin/clients.js';
import { UsageError } from './main.js';
import { remoteClients } from './remote-commands.js';
import { remoteFrom, REMOTE_OPTIONS } from './remote.js';

const USAGE = 'usage: portcullis clients pending|list|approve CLIENT_ID|deny CLIENT_ID [--by NAME] [--remote URL [--token-file FILE]] [--config FILE] [--data-dir DIR] [--store URL]';

/**
 * `portcullis clients`: the administrator's side of the review-mode trust policy (issue 3). A decision records
 * who (--by, else the OS user), when, and the exact document version it was made for.
 */
export async function clientsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { by: { type: 'string' }, config: { type: 'string' }, 'data-dir': { type: 'string' }, store: { type: 'string' }, ...REMOTE_OPTIONS },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const needsId = sub === 'approve' || sub === 'deny';
  if (!(needsId || sub === 'pending' || sub === 'list')) throw new UsageError(USAGE);
  const client_id = parsed.positionals[0];
  if (needsId ? !client_id || parsed.positionals.length > 1 : parsed.positionals.length > 0) throw new UsageError(USAGE);
  const remote = remoteFrom(parsed.values);
  if (remote) {
    // the server records the authenticated administrator as the decider
    if (parsed.values.by !== undefined) throw new UsageError('--by works locally only; with --remote the server names the administrator');
    return remoteClients(remote, sub, client_id);
  }
  const flags: Record<string, unknown> = {};
  if (parsed.values['data-dir']) flags.data_dir = parsed.values['data-dir'];
  if (parsed.values.store) flags.store = parsed.values.store;
  const { config } = loadConfig({ file: parsed.values.config, flags });
  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  try {
    await store.migrate();
    if (sub === 'pending') return await pending(store);
    if (sub === 'list') return await list(store, config.trust?.mode ?? 'open');
    return await decide(store, client_id!, sub === 'approve' ? 'approved' : 'denied', parsed.values.by ?? osUser());
  } finally {
    await store.close();
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const short = (version: string | null): string => (version ? version.slice(0, 12) : '-');

function describe(r: ClientTrustRecord): string[] {
  let doc: Record<string, unknown> = {};
  try {
    doc = (JSON.parse(r.document) as Record<string, unknown> | null) ?? {};
  } catch {
    // a snapshot is always JSON; show what we can
  }
  const uris = Array.isArray(doc.redirect_uris) ? doc.redirect_uris.join(', ') : '-';
  const lines = [
    r.client_id,
    `  name: ${typeof doc.client_name === 'string' ? doc.client_name : '-'}`,
    `  redirect_uris: ${uris}`,
    `  auth method: ${typeof doc.token_endpoint_auth_method === 'string' ? doc.token_endpoint_auth_method : 'none'}`,
    `  first seen: ${iso(r.first_seen_at)}  document version: ${short(r.version)}`,
  ];
  if (r.status === 'pending' && r.decided_version !== null) {
    lines.push(`  document changed since it was approved by ${r.decided_by} at ${iso(r.decided_at)} (version ${short(r.decided_version)})`);
  }
  return lines;
}

async function pending(store: Store): Promise<number> {
  const rows = await store.listClientTrust('pending');
  if (rows.length === 0) console.log('no clients awaiting approval');
  for (const r of rows) console.log(describe(r).join('\n'));
  return 0;
}

async function list(store: Store, mode: string): Promise<number> {
  console.log(`trust mode: ${mode}`);
  for (const r of await store.listClientTrust()) {
    const decision = r.decided_by === null ? '' : ` by ${r.decided_by} at ${iso(r.decided_at)} (version ${short(r.decided_version)})`;
    console.log(`${r.status.padEnd(8)} ${r.client_id}${decision}`);
  }
  const registered = await store.listRegisteredClients();
  if (registered.length > 0) console.log('registered clients (RFC 7591):');
  for (const c of registered) {
    const name = typeof c.metadata.client_name === 'string' ? ` "${c.metadata.client_name}"` : '';
    console.log(`  ${c.client_id}${name} issued ${iso(c.client_id_issued_at)} expires ${iso(c.expires_at)}`);
  }
  return 0;
}

async function decide(store: Store, client_id: string, status: 'approved' | 'denied', by: string): Promise<number> {
  const result = await decideClient(store, client_id, status, by, Date.now());
  if (result.kind === 'not_seen') {
    console.error(`portcullis: ${client_id} has not tried to connect yet, so there is no document to approve`);
    return 1;
  }
  if (result.kind === 'changed') {
    console.error(`portcullis: the document of ${client_id} changed meanwhile; review it again with "portcullis clients pending"`);
    return 1;
  }
  const { record: decided, revoked } = result;
  const verb = status === 'approved' ? 'approved' : 'denied';
  console.log(`${verb} ${client_id}${decided.version ? ` (document version ${short(decided.version)})` : ''} by ${by}${status === 'denied' ? `; ${revoked.length} grant(s) revoked` : ''}`);
  return 0;
}
