import { esc, page } from './layout.js';

export interface LoginView {
  action: string;
  csrf: string;
  clientName: string | null;
  /** the client being signed in to; absent on the user's own pages ("Connected apps") */
  clientHost?: string;
  error?: string;
  username?: string;
  /** issue 4: "Sign in with <IdP>" links (plain links: no JavaScript, no form-action to the IdP needed) */
  upstream?: Array<{ name: string; href: string }>;
  /** the username/password form (default shown; login.password: false hides it) */
  password?: boolean;
}

/** Login page: stable field names `username`, `password` (ARCHITECTURE.md "Pages"). Works without JavaScript. */
export function loginPage(v: LoginView): string {
  const host = `<span class="host">${esc(v.clientHost)}</span>`;
  const who = v.clientHost === undefined ? 'to manage your connected apps' : `to continue to ${v.clientName ? `${esc(v.clientName)} (${host})` : host}`;
  return page(
    'Sign in',
    `<h1>Sign in</h1><p>${who}</p>
${v.error ? `<div class="error" role="alert">${esc(v.error)}</div>` : ''}
${(v.upstream ?? []).map((u) => `<p><a class="upstream" href="${esc(u.href)}">Sign in with ${esc(u.name)}</a></p>`).join('\n')}
${v.password === false ? '' : `<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="${esc(v.username)}" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="row"><button type="submit">Sign in</button></div>
</form>`}`,
  );
}
