import { esc, page } from './layout.js';

export interface LoginView {
  action: string;
  csrf: string;
  clientName: string | null;
  /** the client being signed in to; absent on the user's own pages ("Connected apps") */
  clientHost?: string;
  error?: string;
  username?: string;
}

/** Login page: stable field names `username`, `password` (ARCHITECTURE.md "Pages"). Works without JavaScript. */
export function loginPage(v: LoginView): string {
  const host = `<span class="host">${esc(v.clientHost)}</span>`;
  const who = v.clientHost === undefined ? 'to manage your connected apps' : `to continue to ${v.clientName ? `${esc(v.clientName)} (${host})` : host}`;
  return page(
    'Sign in',
    `<h1>Sign in</h1><p>${who}</p>
${v.error ? `<div class="error" role="alert">${esc(v.error)}</div>` : ''}
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="${esc(v.username)}" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="row"><button type="submit">Sign in</button></div>
</form>`,
  );
}
