/** A self-contained HTML report: the results table and a sequence diagram (inline SVG) of the observed exchange. */
import type { Report, Verdict } from '../types.js';
import { escapeHtml } from './escape.js';
import { sequenceSvg } from './sequence.js';

const COLOR: Record<Verdict, string> = { pass: '#1a7f37', warn: '#9a6700', fail: '#cf222e', skip: '#6e7781', info: '#0969da' };

export function htmlReport(r: Report): string {
  const rows = r.results
    .map((x) => `<tr><td style="color:${COLOR[x.verdict]};font-weight:bold">${x.verdict.toUpperCase()}</td><td><code>${escapeHtml(x.id)}</code></td><td>${x.level}</td><td>${escapeHtml(x.source)}</td><td>${escapeHtml(x.title)}<br><small>${escapeHtml(x.detail)}</small>${x.fix ? `<br><small><b>fix:</b> ${escapeHtml(x.fix)}</small>` : ''}</td></tr>`)
    .join('\n');
  const details = r.exchanges
    .map((x, i) => {
      const req = `${x.request.method} ${x.request.url}\n${Object.entries(x.request.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}${x.request.body ? `\n\n${x.request.body}` : ''}`;
      const res = x.response ? `${x.response.status}\n${Object.entries(x.response.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${x.response.body.slice(0, 4000)}` : `error: ${x.error ?? ''}`;
      return `<details id="x${i + 1}"><summary>${i + 1}. <code>${escapeHtml(x.key)}</code> ${escapeHtml(x.request.method)} ${escapeHtml(x.request.url)} → ${escapeHtml(String(x.response?.status ?? x.error))}</summary><pre>${escapeHtml(req)}</pre><pre>${escapeHtml(res)}</pre></details>`;
    })
    .join('\n');
  const s = r.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>portcullis check — ${escapeHtml(r.target)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}svg text{font:11px monospace}</style>
</head><body>
<h1>portcullis check</h1>
<p><code>${escapeHtml(r.target)}</code> — ${escapeHtml(r.startedAt)} — ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.info} info</p>
<h2>Results</h2>
<table><tr><th>verdict</th><th>id</th><th>level</th><th>source</th><th>requirement</th></tr>
${rows}
</table>
<h2>Observed exchange</h2>
${sequenceSvg(r.exchanges)}
<h2>Requests and responses</h2>
${details}
</body></html>
`;
}
