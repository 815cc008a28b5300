import { esc, page } from './layout.js';

export interface ConsentView {
  action: string;
  csrf: string;
  clientName: string | null;
  /** host the client's CIMD URL lives on (or the static client id): what the user is trusting */
  clientHost: string;
  clientKind: 'static' | 'cimd';
  redirectHost: string;
  scopes: string[];
  resource: string;
  resourceName: string;
  loopbackOnly: boolean;
  username: string;
}

/**
 * Consent page (ARCHITECTURE.md "Consent"; MCP [SEC] "Localhost Redirect URI Risks"; CIMD §6.4): the CIMD host
 * prominently, the redirect host, scopes and resource, and a warning when every redirect URI is loopback.
 * Buttons: name="decision" value="approve" | "deny".
 */
export function consentPage(v: ConsentView): string {
  const scopes = v.scopes.length ? `<ul class="scopes">${v.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>` : '<p class="muted">No specific permissions.</p>';
  const identity =
    v.clientKind === 'cimd'
      ? `<p class="host" id="client-host">${esc(v.clientHost)}</p><p class="muted">${v.clientName ? `calls itself “${esc(v.clientName)}”. ` : ''}Its identity is the metadata document published on <strong>${esc(v.clientHost)}</strong>; only continue if you trust that site.</p>`
      : `<p class="host" id="client-host">${esc(v.clientName ?? v.clientHost)}</p><p class="muted">A pre-registered application (${esc(v.clientHost)}).</p>`;
  const warning = v.loopbackOnly
    ? `<div class="warn" role="alert" id="loopback-warning"><strong>Local application.</strong> This application receives the authorization on your own computer (${esc(v.redirectHost)}). Any program running on this computer could claim to be it. Only approve if you just started this connection yourself.</div>`
    : '';
  return page(
    'Authorize access',
    `<h1>Authorize access</h1>${identity}
<dl><dt>wants access to</dt><dd>${esc(v.resourceName)} <code>${esc(v.resource)}</code></dd>
<dt>as</dt><dd>${esc(v.username)}</dd>
<dt>and will be sent back to</dt><dd class="host" id="redirect-host">${esc(v.redirectHost)}</dd>
<dt>with permission to</dt><dd>${scopes}</dd></dl>${warning}
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="row"><button type="submit" name="decision" value="deny" class="secondary">Deny</button><button type="submit" name="decision" value="approve">Approve</button></div>
</form>`,
  );
}
