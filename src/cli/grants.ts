import { parseArgs } from 'node:util';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';
import { remoteGrants } from './remote-commands.js';
import { remoteFrom, REMOTE_OPTIONS } from './remote.js';

const USAGE = 'usage: portcullis grants list [--user NAME] [--client CLIENT_ID] [--all] [--json] [--remote URL [--token-file FILE]] [--config FILE] [--data-dir DIR] [--store URL]';
const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19) + 'Z');

/** `portcullis grants list`: live grants (every grant with --all), newest first, with their last use. */
export async function grantsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new UsageError(USAGE);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { user: { type: 'string' }, client: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, ...STORE_OPTIONS, ...REMOTE_OPTIONS },
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const remote = remoteFrom(values);
  if (remote) return remoteGrants(remote, values);
  const { store } = await openConfiguredStore(values);
  try {
    let user_id: string | undefined;
    if (values.user !== undefined) {
      const user = await store.getUserByName(values.user);
      if (!user) {
        console.error(`portcullis: no user ${values.user}`);
        return 1;
      }
      user_id = user.id;
    }
    const grants = await store.listGrants({
      ...(user_id ? { user_id } : {}),
      ...(values.client !== undefined ? { client_id: values.client } : {}),
      include_revoked: values.all ?? false,
    });
    const names = new Map<string, string>();
    for (const id of new Set(grants.map((g) => g.user_id))) names.set(id, (await store.getUser(id))?.username ?? id);
    const rows = grants.map((g) => ({ ...g, username: names.get(g.user_id) ?? g.user_id }));
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    const table = [['GRANT', 'USER', 'CLIENT', 'RESOURCE', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED']];
    for (const g of rows) table.push([g.id, g.username, g.client_id, g.resource, g.scope.join(' ') || '-', when(g.created_at), when(g.last_used_at), when(g.revoked_at)]);
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    if (rows.length === 0) console.log('(no grants)');
    return 0;
  } finally {
    await store.close();
  }
}
