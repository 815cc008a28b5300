import { ScopeModel } from '../../../rs/scopes.js';
import type { ConsoleCall, ConsoleView } from '../call.js';
import { badge, codes, esc, table } from '../layout.js';

/** Policy (read-only, from the configuration the gateway compiled): per protected resource, who needs what. */
export async function policyPage(c: ConsoleCall): Promise<ConsoleView> {
  const { resources, config } = c.ctx.settings;
  const sections = resources.map((r, i) => {
    const model = new ScopeModel(r.scopeImplies);
    const entries = (kind: string, map: Record<string, string>) =>
      Object.entries(map).map(([name, scope]) => [`<code>${esc(name)}</code>`, esc(kind), `<code>${esc(scope)}</code>`, codes(Object.keys(r.scopeImplies).filter((k) => k !== scope && model.satisfies([k], scope)))]);
    const rows = [...entries('tool', r.tools), ...entries('prompt', r.prompts), ...entries('MCP resource', r.mcpResources)];
    const hierarchy = Object.entries(r.scopeImplies).map(([s, implied]) => [`<code>${esc(s)}</code>`, codes(implied), codes([...model.expand([s])].filter((x) => x !== s))]);
    return `<section class="card" aria-labelledby="res-${i}"><h2 id="res-${i}">${esc(r.name)}</h2>
<dl><dt>Resource (token audience)</dt><dd><code>${esc(r.id)}</code></dd><dt>Upstream</dt><dd>${r.upstream ? `<code>${esc(r.upstream)}</code>` : '<span class="muted">none (authorization server only)</span>'}</dd>
<dt>Scopes offered</dt><dd>${codes(r.scopes)}</dd><dt>Tools, prompts and MCP resources not listed below</dt><dd id="unlisted-${i}">${r.unlisted === 'allow' ? badge('allowed to any valid token', 'approved') : badge('denied', 'denied')}</dd></dl>
${table(`Scope needed, ${r.name}`, ['Name or pattern', 'Kind', 'Scope needed', 'Also granted by'], rows, { id: `policy-${i}`, empty: 'No tool, prompt or MCP resource is listed: every one follows the rule for unlisted names.' })}
${table(`Scope hierarchy, ${r.name}`, ['Scope', 'Implies directly', 'Implies in all'], hierarchy, { id: `hierarchy-${i}`, empty: 'No scope hierarchy: each scope stands alone.' })}</section>`;
  });
  const roles = config.roles
    ? table('Roles', ['Role', 'Scopes its holders may be granted'], Object.entries(config.roles).map(([role, scopes]) => [`<code>${esc(role)}</code>`, codes(scopes)]), { id: 'policy-roles' })
    : '<p class="muted">No roles configured: every user may be granted every scope a resource offers.</p>';
  const body = `<p class="muted">Read from the configuration (change it there and restart). Scopes are checked on every message, batches included; <code>tools/list</code>, <code>prompts/list</code> and <code>resources/list</code> show only what the token may use.</p>
${sections.join('\n') || '<p>No protected resources are configured.</p>'}
<section class="card" aria-labelledby="roles-h"><h2 id="roles-h">Roles</h2>${roles}</section>`;
  return { title: 'Policy', section: 'policy', body };
}
