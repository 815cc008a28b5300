import type { Settings } from '../../config/resolve.js';
import { esc, page, pageHeaders } from './layout.js';

/** the host users know the application by (CIMD §6.4), or the client_id itself */
function displayHost(client_id: string): string {
  try {
    return client_id.startsWith('https://') ? new URL(client_id).host : client_id;
  } catch {
    return client_id;
  }
}

/** CIMD §6.8 / MCP [SEC] "Trust Policies": a client the policy refuses. Shown, never redirected (403). */
export function trustDeniedPage(_settings: Settings, client_id: string): Response {
  const title = 'This application is not allowed here';
  const body = `<h1>${esc(title)}</h1><div class="error" role="alert">The administrator of this server does not allow <span class="host">${esc(displayHost(client_id))}</span> to connect.</div><p class="muted">Application: <code>${esc(client_id)}</code></p><p class="muted">You can close this window. If you need this application, ask your administrator.</p>`;
  return new Response(page(title, body), { status: 403, headers: pageHeaders() });
}

/** Review mode: the client waits for an administrator's decision (`portcullis clients approve`). 403, never redirected. */
export function awaitingApprovalPage(_settings: Settings, client: { client_id: string; client_name: string | null }, reason: 'new' | 'document_changed'): Response {
  const title = 'Awaiting approval';
  const why =
    reason === 'document_changed'
      ? "This application's metadata (its redirect URIs, keys or sign-in method) changed since an administrator approved it, so it must be approved again."
      : 'This application is new to this server. An administrator must approve it before it can connect.';
  const name = client.client_name ? `<p class="host">${esc(client.client_name)}</p>` : '';
  const body = `<h1>${esc(title)}</h1>${name}<p class="muted">from <span class="host">${esc(displayHost(client.client_id))}</span></p><div class="warn" role="status" id="trust-${reason === 'new' ? 'pending' : 'changed'}">${esc(why)}</div><p class="muted">Your administrator can approve it with <code>portcullis clients approve ${esc(client.client_id)}</code>. Try again from the application afterwards.</p>`;
  return new Response(page(title, body), { status: 403, headers: pageHeaders() });
}
