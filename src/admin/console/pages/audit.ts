import { queryAudit, type AuditPage, type VerifyReport } from '../../../audit/index.js';
import { parseTime } from '../../../audit/query.js';
import { AUDIT_EVENT_TYPES } from '../../../audit/types.js';
import type { ConsoleCall, ConsoleView } from '../call.js';
import { badge, esc, table, when } from '../layout.js';

const PAGE = 50;
const TYPES = /^[a-z_.*-]+(,[a-z_.*-]+)*$/;

/** the chain verification (`portcullis audit verify` of the running log), in words */
async function chainStatus(c: ConsoleCall): Promise<string> {
  if (!c.deps.verifyAudit) return `<p id="chain-status">${badge('not available', 'pending')} This server cannot verify its own audit log.</p>`;
  let r: VerifyReport;
  try {
    r = await c.deps.verifyAudit();
  } catch (e) {
    c.ctx.log.error({ err: e }, 'admin console: audit verification failed');
    return `<p id="chain-status">${badge('verification failed', 'bad')} The verification could not run; see the server log.</p>`;
  }
  const cp = r.checkpoint ? `latest signed checkpoint at seq ${r.checkpoint.seq} (${when(r.checkpoint.time)})` : 'no signed checkpoint yet';
  const head = r.ok ? `${badge('chain intact', 'ok')} ${r.entries} entries verified up to seq ${r.last_seq}; ${cp}.` : `${badge(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`, 'bad')} ${r.entries} entries read; ${cp}.`;
  const problems = r.problems.length ? `<ul id="chain-problems">${r.problems.slice(0, 20).map((p) => `<li><strong>${esc(p.kind)}</strong> at seq ${p.seq}: ${esc(p.message)}</li>`).join('')}</ul>` : '';
  const warnings = r.warnings.length ? `<ul class="muted">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<p id="chain-status" data-ok="${r.ok}">${head}</p>${problems}${warnings}`;
}

/**
 * Audit log: newest first, filtered by user (name or id), client, event type(s) and time range (GET form, so a
 * filtered view is a link), 50 a page; with the chain's verification status.
 */
export async function auditPage(c: ConsoleCall): Promise<ConsoleView> {
  const q = c.url.searchParams;
  const f = {
    user: (q.get('user') ?? '').trim().slice(0, 128),
    client: (q.get('client') ?? '').trim().slice(0, 2048),
    type: (q.get('type') ?? '').trim().slice(0, 512),
    since: (q.get('since') ?? '').trim().slice(0, 64),
    until: (q.get('until') ?? '').trim().slice(0, 64),
  };
  const errors: string[] = [];
  const now = c.ctx.clock();
  const time = (name: 'since' | 'until'): number | undefined => {
    if (!f[name]) return undefined;
    const t = parseTime(f[name], now);
    if (t === null) errors.push(`${name === 'since' ? 'From' : 'Until'}: expected an ISO 8601 time or a duration like 15m, 2h, 7d.`);
    return t ?? undefined;
  };
  const since = time('since');
  const until = time('until');
  if (f.type && !TYPES.test(f.type)) errors.push('Event type: comma-separated types such as token.issued, or prefixes such as token.*');
  const beforeRaw = q.get('before');
  const before = beforeRaw && /^\d{1,15}$/.test(beforeRaw) ? Number(beforeRaw) : undefined;
  let user_id: string | undefined;
  if (f.user) user_id = (await c.ctx.store.getUserByName(f.user))?.id ?? f.user;
  let page: AuditPage = { entries: [], next: null };
  if (errors.length === 0) {
    page = await queryAudit(c.ctx.store, {
      ...(user_id ? { user_id } : {}),
      ...(f.client ? { client_id: f.client } : {}),
      ...(f.type ? { types: f.type.split(',') } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(before !== undefined ? { before } : {}),
      order: 'desc',
      limit: PAGE,
    });
  }
  const names = new Map<string, string>();
  for (const id of new Set(page.entries.map((e) => e.user_id).filter((x): x is string => x !== null))) {
    const u = await c.ctx.store.getUser(id);
    if (u) names.set(id, u.username);
  }
  const rows = page.entries.map((e) => [
    String(e.seq),
    when(e.time),
    `<code>${esc(e.type)}</code>`,
    e.user_id ? esc(names.get(e.user_id) ?? e.user_id) : '—',
    e.client_id ? `<code>${esc(e.client_id)}</code>` : '—',
    `<code>${esc(JSON.stringify(e.data))}</code>`,
  ]);
  const filters = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''));
  const link = (extra: Record<string, string>) => `${c.base}/audit?${new URLSearchParams({ ...filters, ...extra }).toString()}`;
  const datalist = [...AUDIT_EVENT_TYPES, ...new Set(AUDIT_EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`))].map((t) => `<option value="${esc(t)}"></option>`).join('');
  const input = (id: keyof typeof f, label: string, hint = '') =>
    `<div><label for="a-${id}">${label}</label><input type="text" id="a-${id}" name="${id}" value="${esc(f[id])}"${id === 'type' ? ' list="event-types"' : ''}${hint ? ` aria-describedby="a-${id}-hint"` : ''}>${hint ? `<span class="muted" id="a-${id}-hint">${hint}</span>` : ''}</div>`;
  const body = `<section class="card" aria-labelledby="chain-h"><h2 id="chain-h">Chain verification</h2>${await chainStatus(c)}</section>
<form method="get" action="${esc(`${c.base}/audit`)}" class="filters" role="search" aria-label="Filter the audit log">
${input('user', 'User', 'name or id')}${input('client', 'Client ID')}${input('type', 'Event type', 'e.g. token.issued or token.*')}<datalist id="event-types">${datalist}</datalist>
${input('since', 'From', 'ISO time or 24h, 7d')}${input('until', 'Until', 'ISO time or 1h')}<div><button type="submit">Filter</button></div></form>
${table(before !== undefined ? `Audit entries before seq ${before}, newest first` : 'Audit entries, newest first', ['Seq', 'Time (UTC)', 'Event', 'User', 'Client', 'Data'], rows, { id: 'audit', empty: 'No entries match.' })}
<nav class="pager" aria-label="Audit pages">${before !== undefined ? `<a href="${esc(link({}))}">Newest</a>` : ''}${page.next !== null ? `<a href="${esc(link({ before: String(page.next) }))}" rel="next">Older entries</a>` : ''}</nav>`;
  return { title: 'Audit log', section: 'audit', body, ...(errors.length ? { error: errors.join(' '), status: 400 } : {}) };
}
