import { esc, page } from './layout.js';

export interface DeviceEntryView {
  action: string;
  csrf: string;
  /** prefilled (verification_uri_complete), shown as XXXX-XXXX */
  userCode?: string;
  error?: string;
}

/**
 * RFC 8628 §3.3: the user enters the code shown on the device. Stable field name `user_code` (ARCHITECTURE
 * "Pages"); a wrong, expired or used code gets one and the same message (§5.1: nothing is revealed).
 */
export function deviceEntryPage(v: DeviceEntryView): string {
  return page(
    'Connect a device',
    `<h1>Connect a device</h1><p>Enter the code shown on your device.</p>
${v.error ? `<div class="error" role="alert" id="device-error">${esc(v.error)}</div>` : ''}
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="user_code">Code</label><input type="text" id="user_code" name="user_code" value="${esc(v.userCode)}" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus>
<div class="row"><button type="submit">Continue</button></div>
</form>`,
  );
}

export interface DeviceApprovalView {
  action: string;
  csrf: string;
  /** XXXX-XXXX */
  userCode: string;
  clientName: string | null;
  /** the host of a CIMD client_id (what the user is trusting), or the static client's id */
  clientHost: string;
  clientKind: 'static' | 'cimd';
  scopes: string[];
  resource: string;
  resourceName: string;
  username: string;
}

/**
 * The approval page of the device flow: client, scopes and resource as on the consent page, the code to compare
 * with the device, and the remote-phishing warning of RFC 8628 §5.4 (someone may have sent this code). Never
 * remembered: a device is approved explicitly every time. Buttons: name="decision" value="approve" | "deny".
 */
export function deviceApprovalPage(v: DeviceApprovalView): string {
  const scopes = v.scopes.length ? `<ul class="scopes">${v.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>` : '<p class="muted">No specific permissions.</p>';
  const identity =
    v.clientKind === 'cimd'
      ? `<p class="host" id="client-host">${esc(v.clientHost)}</p><p class="muted">${v.clientName ? `calls itself “${esc(v.clientName)}”. ` : ''}Its identity is the metadata document published on <strong>${esc(v.clientHost)}</strong>.</p>`
      : `<p class="host" id="client-host">${esc(v.clientName ?? v.clientHost)}</p><p class="muted">A pre-registered application (${esc(v.clientHost)}).</p>`;
  return page(
    'Connect a device',
    `<h1>Connect a device</h1>${identity}
<dl><dt>on the device showing the code</dt><dd class="host" id="user-code">${esc(v.userCode)}</dd>
<dt>wants access to</dt><dd>${esc(v.resourceName)} <code>${esc(v.resource)}</code></dd>
<dt>as</dt><dd>${esc(v.username)}</dd>
<dt>with permission to</dt><dd>${scopes}</dd></dl>
<div class="warn" role="alert" id="device-warning"><strong>Only approve if you started this on your device.</strong> Check that your device shows the code ${esc(v.userCode)}. If someone sent you this code or asked you to enter it, deny: approving would give them access to your account.</div>
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="row"><button type="submit" name="decision" value="deny" class="secondary">Deny</button><button type="submit" name="decision" value="approve">Approve</button></div>
</form>`,
  );
}

/** After the decision: the device learns it when it polls next. */
export function deviceDonePage(approved: boolean): string {
  return approved
    ? page('Device connected', '<h1>Device connected</h1><p id="device-done" class="muted">You can return to your device; it continues on its own. You can revoke its access at any time under Connected apps.</p>')
    : page('Access denied', '<h1>Access denied</h1><p id="device-done" class="muted">The device will not get access. You can close this window.</p>');
}
