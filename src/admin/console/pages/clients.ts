import type { Params } from '../../../as/params.js';
import { decideClient } from '../../clients.js';
import { recordAction } from '../../api/router.js';
import { actionOf, backTo, here, type ActionResult, type ConsoleCall, type ConsoleView } from '../call.js';
import { collectClients, parseDocument, type ClientRow } from '../clients-data.js';
import { badge, esc, postButton, table, when } from '../layout.js';
import { grantsTable } from './grants.js';

const KIND_LABEL = { static: 'static (configured)', cimd: 'CIMD (metadata document)', registered: 'registered (RFC 7591)', unknown: 'unknown' } as const;

const viewHref = (c: ConsoleCall, id: string) => `${c.base}/clients/view?id=${encodeURIComponent(id)}`;

function trustCell(r: ClientRow): string {
  if (r.kind === 'static') return badge('always allowed', 'approved');
  if (!r.trust) return '<span class="muted">no decision (open mode)</span>';
  return badge(r.trust.status);
}

function decisionButtons(c: ConsoleCall, r: ClientRow, back: string): string {
  if (r.kind === 'static') return '';
  const label = r.name ?? r.client_id;
  const out: string[] = [];
  if (r.trust && r.trust.status !== 'approved') out.push(postButton(c.access, `${c.base}/clients/decide`, 'Approve', { client_id: r.client_id, decision: 'approve', version: r.trust.version, back }, '', `Approve ${label}`));
  if (r.trust?.status !== 'denied') out.push(postButton(c.access, `${c.base}/clients/decide`, 'Deny', { client_id: r.client_id, decision: 'deny', ...(r.trust ? { version: r.trust.version } : {}), back }, 'danger', `Deny ${label}`));
  if (r.kind === 'cimd') out.push(postButton(c.access, `${c.base}/clients/rereview`, 'Fetch again and re-review', { client_id: r.client_id, back }, 'secondary', `Fetch the document of ${label} again`));
  return out.join(' ');
}

/** Clients: every known client with its kind, trust state and live grants; pending ones first. */
export async function clientsPage(c: ConsoleCall): Promise<ConsoleView> {
  const rows = await collectClients(c.ctx);
  const back = here(c);
  const mode = c.ctx.settings.config.trust.mode;
  const body = `<p>Trust mode <code>${esc(mode)}</code>${mode === 'review' ? ': each new client, and each changed document, waits for an administrator' : ''}. Static clients are always allowed.</p>
${table(
  'Clients',
  ['Client', 'Kind', 'Name', 'Trust', 'Live grants', '<span class="muted">Actions</span>'],
  rows.map((r) => [`<a href="${esc(viewHref(c, r.client_id))}">${esc(r.client_id)}</a>`, esc(KIND_LABEL[r.kind]), esc(r.name ?? '—'), trustCell(r), String(r.live_grants), decisionButtons(c, r, back)]),
  { id: 'clients', empty: 'No clients yet.' },
)}`;
  return { title: 'Clients', section: 'clients', body };
}

/** One client: what it is, the document as fetched (or registered / configured), the trust record, its grants. */
export async function clientPage(c: ConsoleCall): Promise<ConsoleView> {
  const id = (c.url.searchParams.get('id') ?? '').slice(0, 2048);
  const r = (await collectClients(c.ctx)).find((x) => x.client_id === id);
  if (!r) return { title: 'Client not found', section: 'clients', status: 404, body: `<p><a href="${esc(`${c.base}/clients`)}">All clients</a></p>`, error: 'No client with that client_id is known here.' };
  const doc = r.trust ? parseDocument(r.trust.document) : r.registered ? r.registered.metadata : r.configured;
  const docTitle = r.trust ? (r.kind === 'cimd' ? 'Metadata document as fetched' : 'Registered metadata') : r.registered ? 'Registered metadata' : r.configured ? 'Configuration entry' : 'Metadata';
  const t = r.trust;
  const trust = t
    ? `<dl><dt>Status</dt><dd id="trust-status">${badge(t.status)}</dd><dt>Document version</dt><dd><code>${esc(t.version)}</code></dd><dt>First seen</dt><dd>${when(t.first_seen_at)}</dd><dt>Document last changed</dt><dd>${when(t.updated_at)}</dd>
<dt>Last decision</dt><dd>${t.decided_by ? `${esc(t.decided_by)}, ${when(t.decided_at)}, for version <code>${esc(t.decided_version ?? '')}</code>` : 'none yet'}</dd></dl>`
    : `<p>${trustCell(r)}</p>`;
  const grants = await c.ctx.store.listGrants({ client_id: r.client_id, include_revoked: true });
  const body = `<p><a href="${esc(`${c.base}/clients`)}">All clients</a></p>
<section class="card" aria-labelledby="c-h"><h2 id="c-h">${esc(r.name ?? r.client_id)}</h2><dl><dt>client_id</dt><dd><code id="client-id">${esc(r.client_id)}</code></dd><dt>Kind</dt><dd>${esc(KIND_LABEL[r.kind])}</dd></dl></section>
<section class="card" aria-labelledby="t-h"><h2 id="t-h">Trust</h2>${trust}<div>${decisionButtons(c, r, here(c))}</div></section>
<section class="card" aria-labelledby="d-h"><h2 id="d-h">${esc(docTitle)}</h2>${doc ? `<pre id="client-document">${esc(JSON.stringify(doc, null, 2))}</pre>` : '<p class="muted">No document recorded.</p>'}</section>
<section class="card" aria-labelledby="g-h"><h2 id="g-h">Grants of this client</h2>${await grantsTable(c, grants, 'Grants of this client', 'client-grants')}</section>`;
  return { title: `Client ${r.name ?? r.client_id}`, section: 'clients', body };
}

/**
 * POST clients/decide (client_id, decision=approve|deny, version): decideClient as the admin API and
 * `portcullis clients` do — made for the version the administrator saw; a denial revokes the client's grants.
 */
export async function decideAction(c: ConsoleCall, form: Params): Promise<ActionResult> {
  const client_id = form.required('client_id', { max: 2048 });
  const decision = form.required('decision', { max: 16 });
  const seen = form.one('version', { max: 256 });
  const fallback = viewHref(c, client_id);
  if (decision !== 'approve' && decision !== 'deny') return { to: backTo(c, form, fallback), notice: 'bad-input' };
  const { ctx } = c;
  const current = await ctx.store.getClientTrust(client_id);
  // the decision is for the document on the administrator's screen: a newer one needs a new look
  if (current && seen !== undefined && current.version !== seen) return { to: backTo(c, form, fallback), notice: 'client-conflict' };
  const status = decision === 'approve' ? 'approved' : 'denied';
  const result = await decideClient(ctx.store, client_id, status, c.access.actor.name, ctx.clock());
  if (result.kind === 'not_seen') return { to: backTo(c, form, fallback), notice: 'client-not-seen' };
  if (result.kind === 'changed') return { to: backTo(c, form, fallback), notice: 'client-conflict' };
  for (const id of result.revoked) ctx.onGrantRevoked(id);
  await recordAction(actionOf(c), status === 'approved' ? 'client.approve' : 'client.deny', client_id, { version: result.record.version, revoked_grants: result.revoked, console: true });
  return { to: backTo(c, form, fallback), notice: status === 'approved' ? 'client-approved' : 'client-denied' };
}

/**
 * POST clients/rereview (client_id): fetch the metadata document again (through the resolver: safe fetch,
 * cache rules) and record the snapshot; a changed document becomes pending (a denied client stays denied).
 */
export async function rereviewAction(c: ConsoleCall, form: Params): Promise<ActionResult> {
  const client_id = form.required('client_id', { max: 2048 });
  const fallback = viewHref(c, client_id);
  if (!client_id.startsWith('https://')) return { to: backTo(c, form, fallback), notice: 'client-not-reviewable' };
  const { ctx } = c;
  const before = await ctx.store.getClientTrust(client_id);
  let client;
  try {
    client = await ctx.clients.resolve(client_id);
  } catch {
    await recordAction(actionOf(c), 'client.rereview', client_id, { outcome: 'fetch_failed', console: true });
    return { to: backTo(c, form, fallback), notice: 'client-refetch-failed' };
  }
  const after = await ctx.store.observeClientTrust({ client_id, document: JSON.stringify(client.document ?? {}), version: client.version, now: ctx.clock() });
  const changed = before?.version !== after.version;
  await recordAction(actionOf(c), 'client.rereview', client_id, { version: after.version, changed, status: after.status, console: true });
  return { to: backTo(c, form, fallback), notice: changed ? 'client-changed' : 'client-unchanged' };
}
