import { barChart } from '../charts.js';
import type { ConsoleCall, ConsoleView } from '../call.js';
import { collectClients } from '../clients-data.js';
import { esc } from '../layout.js';
import { activity, RANGES, type RangeId } from '../stats.js';

/** Overview: live grants, clients (pending ones called out), users, and activity charts for a chosen range. */
export async function overviewPage(c: ConsoleCall): Promise<ConsoleView> {
  const { ctx, base } = c;
  const asked = c.url.searchParams.get('range') ?? '24h';
  const range: RangeId = Object.hasOwn(RANGES, asked) ? (asked as RangeId) : '24h';
  const [grants, clients, users] = await Promise.all([ctx.store.listGrants({}), collectClients(ctx), ctx.store.listUsers()]);
  const pending = clients.filter((r) => r.trust?.status === 'pending').length;
  const act = await activity(ctx.store, ctx.clock(), range);
  const card = (id: string, label: string, value: number, href: string, extra = '') =>
    `<section class="card" aria-labelledby="${id}-h"><h2 id="${id}-h">${label}</h2><p class="stat" id="${id}">${value}</p><p class="muted"><a href="${esc(href)}">${label.toLowerCase()}</a>${extra}</p></section>`;
  const options = (Object.keys(RANGES) as RangeId[]).map((r) => `<option value="${r}"${r === range ? ' selected' : ''}>${RANGES[r].label}</option>`).join('');
  const body = `<div class="cards">
${card('count-grants', 'Active grants', grants.length, `${base}/grants`)}
${card('count-clients', 'Clients', clients.length, `${base}/clients`, pending ? ` · <strong id="count-pending">${pending} awaiting approval</strong>` : '')}
${card('count-users', 'Users', users.length, `${base}/users`, ` · ${users.filter((u) => u.disabled).length} disabled`)}
</div>
<section class="card" aria-labelledby="activity-h"><h2 id="activity-h">Activity, ${esc(RANGES[range].label)} (UTC)</h2>
<form method="get" action="${esc(base)}" class="filters"><div><label for="range">Time range</label><select id="range" name="range">${options}</select></div><div><button type="submit">Show</button></div></form>
${act.truncated ? `<p class="warn">Only the first ${act.rows} audit entries of the range were counted.</p>` : ''}
<div class="charts">${barChart({ id: 'chart-issued', title: 'Tokens issued', cls: 'issued', buckets: act.series.issued, step: act.step })}
${barChart({ id: 'chart-denials', title: 'Denials', cls: 'denials', buckets: act.series.denials, step: act.step })}
${barChart({ id: 'chart-stepups', title: 'Step-up challenges', cls: 'stepups', buckets: act.series.stepups, step: act.step })}</div>
<p class="muted">Counted from the audit log: tokens issued = <code>token.issued</code> + <code>token.refreshed</code>; step-ups = <code>tool.denied</code> for insufficient scope (the client may ask for more); denials = every other refusal (tool policy, failed logins, denied consent, refused clients, token reuse).</p></section>`;
  return { title: 'Overview', section: 'overview', body };
}
