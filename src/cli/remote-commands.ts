import type { publicUser } from '../admin/users.js';
import type { ClientTrustRecord, GrantSummary } from '../store/types.js';
import { callApi, remotely, type Remote } from './remote.js';

/**
 * The remote side of `portcullis users|grants|revoke|clients … --remote URL`: the same commands through the admin
 * API (src/admin/api), printing what the local commands print.
 */
type User = ReturnType<typeof publicUser>;
type Grant = GrantSummary & { username: string | null };
const enc = encodeURIComponent;
const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19) + 'Z');

export function remoteUsers(remote: Remote, sub: string, name: string | undefined, roles: string[], password: string): Promise<number> {
  return remotely(async () => {
    if (sub === 'list') {
      const { users } = await callApi<{ users: User[] }>(remote, 'GET', 'users');
      for (const u of users) console.log(`${u.username}\t${u.disabled ? 'disabled' : 'active'}\t${u.roles.join(',') || '-'}`);
    } else if (sub === 'add') {
      await callApi(remote, 'POST', 'users', { username: name, password, roles });
      console.log(`added user ${name}${roles.length ? ` with roles ${roles.join(', ')}` : ''}`);
    } else if (sub === 'roles') {
      const r = await callApi<{ revoked_grants: string[] }>(remote, 'PATCH', `users/${enc(name!)}`, { roles });
      console.log(`${name}: roles ${roles.join(', ') || '(none)'}; ${r.revoked_grants.length} grant(s) revoked`);
    } else {
      const disabled = sub === 'disable';
      const r = await callApi<{ revoked_grants: string[] }>(remote, 'PATCH', `users/${enc(name!)}`, { disabled });
      console.log(`${name}: ${disabled ? 'disabled' : 'enabled'}${disabled ? `; ${r.revoked_grants.length} grant(s) revoked` : ''}`);
    }
  });
}

export function remoteGrants(remote: Remote, q: { user?: string; client?: string; all?: boolean; json?: boolean }): Promise<number> {
  return remotely(async () => {
    const params = new URLSearchParams();
    if (q.user !== undefined) params.set('user', q.user);
    if (q.client !== undefined) params.set('client', q.client);
    if (q.all) params.set('all', 'true');
    const { grants } = await callApi<{ grants: Grant[] }>(remote, 'GET', `grants${params.size ? `?${params}` : ''}`);
    if (q.json) return console.log(JSON.stringify(grants.map((g) => ({ ...g, username: g.username ?? g.user_id })), null, 2));
    const table = [['GRANT', 'USER', 'CLIENT', 'RESOURCE', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED']];
    for (const g of grants) table.push([g.id, g.username ?? g.user_id, g.client_id, g.resource, g.scope.join(' ') || '-', when(g.created_at), when(g.last_used_at), when(g.revoked_at)]);
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    if (grants.length === 0) console.log('(no grants)');
  });
}

export function remoteRevoke(remote: Remote, target: { user?: string; client?: string; grant?: string }): Promise<number> {
  return remotely(async () => {
    const r = await callApi<{ grants: Grant[] }>(remote, 'POST', 'revocations', target);
    if (r.grants.length === 0) return console.log('nothing to revoke: no live grants matched');
    for (const g of r.grants) console.log(`revoked grant ${g.id}  user ${g.username ?? g.user_id}  client ${g.client_id}  resource ${g.resource}`);
    console.log(`${r.grants.length} grant${r.grants.length === 1 ? '' : 's'} revoked; the server refuses their tokens at once`);
  });
}

type TrustView = Omit<ClientTrustRecord, 'document'> & { document: Record<string, unknown> | null };

export function remoteClients(remote: Remote, sub: string, client_id: string | undefined): Promise<number> {
  return remotely(async () => {
    if (sub === 'pending' || sub === 'list') {
      const r = await callApi<{ trust_mode: string; clients: TrustView[] }>(remote, 'GET', sub === 'pending' ? 'clients?status=pending' : 'clients');
      if (sub === 'list') console.log(`trust mode: ${r.trust_mode}`);
      if (sub === 'pending' && r.clients.length === 0) console.log('no clients awaiting approval');
      for (const c of r.clients) {
        const name = typeof c.document?.client_name === 'string' ? `  name: ${c.document.client_name}` : '';
        const by = c.decided_by === null ? '' : ` by ${c.decided_by} at ${new Date(c.decided_at!).toISOString()}`;
        console.log(sub === 'pending' ? `${c.client_id}${name ? `\n${name}` : ''}\n  document version: ${c.version.slice(0, 12)}` : `${c.status.padEnd(8)} ${c.client_id}${by}`);
      }
      return;
    }
    const r = await callApi<{ client: TrustView; revoked_grants: string[] }>(remote, 'POST', `clients/${enc(client_id!)}/${sub}`);
    const verb = sub === 'approve' ? 'approved' : 'denied';
    console.log(`${verb} ${client_id} (document version ${r.client.version.slice(0, 12)}) by ${r.client.decided_by ?? '-'}${sub === 'deny' ? `; ${r.revoked_grants.length} grant(s) revoked` : ''}`);
  });
}
