import type { Params } from '../../../as/params.js';
import type { GrantSummary } from '../../../store/types.js';
import { revokeOneGrant, withUsernames } from '../../api/grants.js';
import { actionOf, backTo, here, type ActionResult, type ConsoleCall, type ConsoleView } from '../call.js';
import { badge, codes, esc, postButton, table, when } from '../layout.js';

export const CONSOLE_REVOCATION_REASON = 'admin_console';

/** grants as a table, each live one with a Revoke button that comes back to this page */
export async function grantsTable(c: ConsoleCall, grants: GrantSummary[], caption: string, id: string): Promise<string> {
  const resourceName = (r: string) => c.ctx.settings.resources.find((x) => x.id === r)?.name ?? r;
  const rows = (await withUsernames(c, grants)).map((g) => {
    const user = g.username ?? undefined;
    const who = user ? `<a href="${esc(`${c.base}/users/view?name=${encodeURIComponent(user)}`)}">${esc(user)}</a>` : `<code>${esc(g.user_id)}</code>`;
    const client = `<a href="${esc(`${c.base}/clients/view?id=${encodeURIComponent(g.client_id)}`)}">${esc(g.client_id)}</a>`;
    const state = g.revoked_at === null ? badge('live', 'ok') : `${badge('revoked', 'bad')}<br><span class="muted">${when(g.revoked_at)} (${esc(g.revoked_reason ?? '')})</span>`;
    const action = g.revoked_at === null ? postButton(c.access, `${c.base}/grants/revoke`, 'Revoke', { grant: g.id, back: here(c) }, 'danger', `Revoke grant ${g.id} of ${user ?? g.user_id} for ${g.client_id}`) : '';
    return [`<code>${esc(g.id)}</code>`, who, client, `${esc(resourceName(g.resource))}<br><code>${esc(g.resource)}</code>`, codes(g.scope), when(g.created_at), when(g.last_used_at), state, action];
  });
  return table(caption, ['Grant', 'User', 'Client', 'Resource', 'Scopes', 'Created', 'Last used', 'State', '<span class="muted">Action</span>'], rows, { id, empty: 'No grants.' });
}

/** Grants: filter by user and client (GET form), live only or revoked too; revoke any. */
export async function grantsPage(c: ConsoleCall): Promise<ConsoleView> {
  const q = c.url.searchParams;
  const username = (q.get('user') ?? '').slice(0, 64);
  const client = (q.get('client') ?? '').slice(0, 2048);
  const all = q.get('all') === 'true';
  let error: string | undefined;
  let user_id: string | undefined;
  if (username) {
    const u = await c.ctx.store.getUserByName(username);
    if (u) user_id = u.id;
    else error = `No user named ${username}.`;
  }
  const grants = error ? [] : await c.ctx.store.listGrants({ ...(user_id ? { user_id } : {}), ...(client ? { client_id: client } : {}), include_revoked: all });
  const body = `<form method="get" action="${esc(`${c.base}/grants`)}" class="filters" role="search" aria-label="Filter grants">
<div><label for="f-user">User name</label><input type="text" id="f-user" name="user" value="${esc(username)}"></div>
<div><label for="f-client">Client ID</label><input type="text" id="f-client" name="client" value="${esc(client)}"></div>
<div><label for="f-all">Show</label><select id="f-all" name="all"><option value="false">live grants</option><option value="true"${all ? ' selected' : ''}>revoked too</option></select></div>
<div><button type="submit">Filter</button></div></form>
${await grantsTable(c, grants, all ? 'Grants' : 'Live grants', 'grants')}`;
  return { title: 'Grants', section: 'grants', body, ...(error ? { error } : {}) };
}

/** POST grants/revoke grant=ID: as the admin API's DELETE grants/:id (the gateway is told at once; audited) */
export async function revokeGrantAction(c: ConsoleCall, form: Params): Promise<ActionResult> {
  const fallback = `${c.base}/grants`;
  const id = form.one('grant', { max: 128 });
  const grant = id ? await c.ctx.store.getGrant(id) : null;
  if (!grant) return { to: backTo(c, form, fallback), notice: 'grant-not-found' };
  if (grant.revoked_at !== null) return { to: backTo(c, form, fallback), notice: 'grant-already-revoked' };
  await revokeOneGrant(actionOf(c), grant.id, CONSOLE_REVOCATION_REASON, { console: true });
  return { to: backTo(c, form, fallback), notice: 'grant-revoked' };
}
