import type { Params } from '../../../as/params.js';
import { ADMIN_ROLE } from '../../api/auth.js';
import { recordAction } from '../../api/router.js';
import { createUser, MAX_PASSWORD, MIN_PASSWORD, setUserDisabled, setUserRoles, unknownRoles, USERNAME } from '../../users.js';
import { actionOf, backTo, here, type ActionResult, type ConsoleCall, type ConsoleView } from '../call.js';
import { badge, codes, csrfInput, esc, postButton, table, when } from '../layout.js';
import { grantsTable } from './grants.js';

const ROLE = /^[A-Za-z0-9._:-]{1,64}$/;
const viewHref = (c: ConsoleCall, name: string) => `${c.base}/users/view?name=${encodeURIComponent(name)}`;

/** the configured roles as checkboxes (the `admin` role alone when none are configured), `checked` ticked */
function roleBoxes(c: ConsoleCall, checked: readonly string[], prefix: string): string {
  const configured = c.ctx.settings.config.roles;
  const all = [...new Set([...(configured ? Object.keys(configured) : [ADMIN_ROLE]), ...checked])].sort();
  return all.map((r, i) => `<label for="${prefix}-${i}"><input type="checkbox" id="${prefix}-${i}" name="role" value="${esc(r)}"${checked.includes(r) ? ' checked' : ''}> ${esc(r)}</label>`).join('');
}

/** Users: name, roles, state, live grants; a form that adds a user with a password. */
export async function usersPage(c: ConsoleCall): Promise<ConsoleView> {
  const users = await c.ctx.store.listUsers();
  const live = new Map<string, number>();
  for (const g of await c.ctx.store.listGrants({})) live.set(g.user_id, (live.get(g.user_id) ?? 0) + 1);
  const rows = users.map((u) => [
    `<a href="${esc(viewHref(c, u.username))}">${esc(u.username)}</a>`,
    codes(u.roles),
    u.disabled ? badge('disabled') : badge('enabled', 'ok'),
    String(live.get(u.id) ?? 0),
    when(u.created_at),
  ]);
  const roles = c.ctx.settings.config.roles;
  const legend = roles
    ? table('Roles and the scopes they permit', ['Role', 'Scopes'], Object.entries(roles).map(([r, s]) => [`<code>${esc(r)}</code>`, codes(s)]), { id: 'roles' })
    : '<p class="muted">No roles are configured: every user may be granted every scope; only the <code>admin</code> role means something (this console).</p>';
  const create = `<section class="card" aria-labelledby="new-h"><h2 id="new-h">Add a user</h2>
<form method="post" action="${esc(`${c.base}/users/create`)}">${csrfInput(c.access.csrf)}
<div><label for="new-username">Username</label><input type="text" id="new-username" name="username" required maxlength="64" autocomplete="off" aria-describedby="new-username-hint"><span class="muted" id="new-username-hint">letters, digits and . _ @ -</span></div>
<div><label for="new-password">Password</label><input type="password" id="new-password" name="password" required minlength="${MIN_PASSWORD}" maxlength="${MAX_PASSWORD}" autocomplete="new-password" aria-describedby="new-password-hint"><span class="muted" id="new-password-hint">at least ${MIN_PASSWORD} characters; give it to the user through a channel of your own</span></div>
<fieldset><legend>Roles</legend>${roleBoxes(c, [], 'new-role')}</fieldset><button type="submit">Add user</button></form></section>`;
  return { title: 'Users and roles', section: 'users', body: `${table('Users', ['User', 'Roles', 'State', 'Live grants', 'Created'], rows, { id: 'users' })}${create}<h2>Roles</h2>${legend}` };
}

/** One user: roles (checkboxes of the configured roles), enable/disable, their grants with Revoke. */
export async function userPage(c: ConsoleCall): Promise<ConsoleView> {
  const name = (c.url.searchParams.get('name') ?? '').slice(0, 64);
  const user = USERNAME.test(name) ? await c.ctx.store.getUserByName(name) : null;
  if (!user) return { title: 'User not found', section: 'users', status: 404, body: `<p><a href="${esc(`${c.base}/users`)}">All users</a></p>`, error: 'No such user.' };
  const boxes = roleBoxes(c, user.roles, 'role');
  const back = here(c);
  const rolesForm = `<form method="post" action="${esc(`${c.base}/users/roles`)}">${csrfInput(c.access.csrf)}<input type="hidden" name="user" value="${esc(user.username)}"><input type="hidden" name="back" value="${esc(back)}">
<fieldset><legend>Roles of ${esc(user.username)}</legend>${boxes}</fieldset><button type="submit">Save roles</button></form>`;
  const toggle = postButton(c.access, `${c.base}/users/${user.disabled ? 'enable' : 'disable'}`, user.disabled ? 'Enable user' : 'Disable user', { user: user.username, back }, user.disabled ? '' : 'danger');
  const grants = await c.ctx.store.listGrants({ user_id: user.id, include_revoked: true });
  const body = `<p><a href="${esc(`${c.base}/users`)}">All users</a></p>
<section class="card" aria-labelledby="u-h"><h2 id="u-h">${esc(user.username)}</h2><dl><dt>State</dt><dd id="user-state">${user.disabled ? badge('disabled') : badge('enabled', 'ok')}</dd><dt>Created</dt><dd>${when(user.created_at)}</dd><dt>Id</dt><dd><code>${esc(user.id)}</code></dd></dl>${toggle}</section>
<section class="card" aria-labelledby="r-h"><h2 id="r-h">Roles</h2><p class="muted">Taking a role away revokes at once every grant that goes beyond the roles left.</p>${rolesForm}</section>
<section class="card" aria-labelledby="g-h"><h2 id="g-h">Grants of ${esc(user.username)}</h2>${await grantsTable(c, grants, `Grants of ${user.username}`, 'user-grants')}</section>`;
  return { title: `User ${user.username}`, section: 'users', body };
}

async function target(c: ConsoleCall, form: Params) {
  const name = form.required('user', { max: 64 });
  return USERNAME.test(name) ? c.ctx.store.getUserByName(name) : null;
}

/**
 * Adds a user with a password and roles (as the admin API's POST users, through the same domain function), audited
 * as `user.create`. Refused with nothing written: a malformed name, a password outside the length bounds, an unknown
 * role, a name already taken.
 */
export async function createUserAction(c: ConsoleCall, form: Params): Promise<ActionResult> {
  const fallback = `${c.base}/users`;
  let username: string;
  let password: string;
  try {
    username = form.required('username', { max: 64 });
    password = form.required('password', { max: MAX_PASSWORD });
  } catch {
    return { to: fallback, notice: 'bad-input' };
  }
  if (!USERNAME.test(username)) return { to: fallback, notice: 'user-bad-name' };
  if (password.length < MIN_PASSWORD) return { to: fallback, notice: 'user-bad-password' };
  const roles = formRoles(c, form);
  if (!roles) return { to: fallback, notice: 'user-bad-role' };
  const user = await createUser(c.ctx.store, { username, password, roles }, c.ctx.clock());
  if (user === 'exists') return { to: fallback, notice: 'user-exists' };
  await recordAction(actionOf(c), 'user.create', username, { roles: user.roles, console: true });
  return { to: viewHref(c, username), notice: 'user-created' };
}

/** the form's `role` values, each well-formed and configured, at most 64; null when any is not */
function formRoles(c: ConsoleCall, form: Params): string[] | null {
  const roles = [...new Set(form.many('role', { max: 64 }))];
  return roles.length > 64 || !roles.every((r) => ROLE.test(r)) || unknownRoles(c.ctx.settings.config, roles).length ? null : roles;
}

/** POST users/roles (user, role…): setUserRoles as the admin API's PATCH users/:name */
export async function rolesAction(c: ConsoleCall, form: Params): Promise<ActionResult> {
  const user = await target(c, form);
  const fallback = `${c.base}/users`;
  if (!user) return { to: backTo(c, form, fallback), notice: 'user-not-found' };
  const roles = formRoles(c, form);
  if (!roles) return { to: backTo(c, form, fallback), notice: 'user-bad-role' };
  // an administrator cannot lock themselves out of the console by accident
  if (user.id === c.access.actor.user.id && !roles.includes(ADMIN_ROLE)) return { to: backTo(c, form, fallback), notice: 'user-self' };
  const { ctx } = c;
  const revoked = await setUserRoles(ctx.store, ctx.settings.config, user, roles, ctx.clock());
  for (const id of revoked) ctx.onGrantRevoked(id);
  await recordAction(actionOf(c), 'user.update', user.username, { roles, revoked_grants: revoked, console: true });
  return { to: backTo(c, form, fallback), notice: 'user-roles' };
}

/** POST users/disable|enable (user): setUserDisabled; disabling revokes every grant of the user at once */
export function disabledAction(disabled: boolean) {
  return async (c: ConsoleCall, form: Params): Promise<ActionResult> => {
    const user = await target(c, form);
    const fallback = `${c.base}/users`;
    if (!user) return { to: backTo(c, form, fallback), notice: 'user-not-found' };
    if (disabled && user.id === c.access.actor.user.id) return { to: backTo(c, form, fallback), notice: 'user-self' };
    const { ctx } = c;
    const revoked = await setUserDisabled(ctx.store, user, disabled, ctx.clock());
    for (const id of revoked) ctx.onGrantRevoked(id);
    await recordAction(actionOf(c), 'user.update', user.username, { disabled, revoked_grants: revoked, console: true });
    return { to: backTo(c, form, fallback), notice: disabled ? 'user-disabled' : 'user-enabled' };
  };
}
