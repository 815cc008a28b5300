import { rotateOptions } from '../../../as/keys.js';
import type { Params } from '../../../as/params.js';
import type { SigningKeyRecord } from '../../../store/types.js';
import type { ActionResult, ConsoleCall, ConsoleView } from '../call.js';
import { badge, esc, postButton, table, when } from '../layout.js';

/** as `portcullis keys list`: published (waiting to sign), signing, retiring (signs until the switch), retired */
export function keyState(k: SigningKeyRecord, now: number): 'published' | 'signing' | 'retiring' | 'retired' {
  if (k.retired_at !== null && k.retired_at <= now) return 'retired';
  if (k.activates_at > now) return 'published';
  return k.retired_at === null ? 'signing' : 'retiring';
}

/** Signing keys: kid, alg, created, signs from, retired at, state; Rotate (audited). */
export async function keysPage(c: ConsoleCall): Promise<ConsoleView> {
  const now = c.ctx.clock();
  const keys = (await c.ctx.store.listSigningKeys()).sort((a, b) => b.created_at - a.created_at);
  const rows = keys.map((k) => [`<code>${esc(k.kid)}</code>`, esc(k.alg), when(k.created_at), when(k.activates_at), when(k.retired_at), badge(keyState(k, now))]);
  const o = rotateOptions(c.ctx.settings.config);
  const body = `${table('Signing keys, newest first', ['Key id (kid)', 'Algorithm', 'Created', 'Signs from', 'Retired at', 'State'], rows, { id: 'keys' })}
<section class="card" aria-labelledby="rotate-h"><h2 id="rotate-h">Rotate</h2><p>A new key is published in the JWKS at once and signs ${Math.round(o.publishBeforeMs / 1000)} s later, so that every verifier has it first; the key signing now keeps verifying until the last token it signed has expired (${Math.round(o.longestTokenMs / 1000)} s after the switch), then leaves the JWKS. Every instance picks the new key up within <code>keys.reload_s</code>.</p>
${postButton(c.access, `${c.base}/keys/rotate`, 'Rotate signing key', {}, '')}</section>`;
  return { title: 'Signing keys', section: 'keys', body };
}

/** POST keys/rotate: rotateSigningKeysAudited (the same function as `portcullis keys rotate`), via the KeyRing */
export async function rotateAction(c: ConsoleCall, _form: Params): Promise<ActionResult> {
  const to = `${c.base}/keys`;
  try {
    await c.ctx.keys.rotate(rotateOptions(c.ctx.settings.config), c.ctx.audit, { name: c.access.actor.name, via: 'console', user_id: c.access.actor.user.id });
  } catch (e) {
    if (e instanceof Error && /already waiting to sign/.test(e.message)) return { to, notice: 'keys-pending' };
    throw e;
  }
  return { to, notice: 'keys-rotated' };
}
