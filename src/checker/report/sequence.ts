/** A sequence diagram (inline SVG, no script or external assets) of the requests the checker actually made. */
import type { Exchange } from '../types.js';
import { escapeHtml } from './escape.js';

const LANES = ['checker', 'RS', 'AS', 'UA'] as const;
const LABEL: Record<(typeof LANES)[number], string> = { checker: 'portcullis check', RS: 'MCP server (RS)', AS: 'authorization server', UA: 'user agent' };

export function sequenceSvg(exchanges: Exchange[]): string {
  const lanes = LANES.filter((l) => l === 'checker' || exchanges.some((x) => x.peer === l));
  const laneX = (l: string): number => 90 + lanes.indexOf(l as (typeof LANES)[number]) * 330;
  const width = laneX(lanes[lanes.length - 1]!) + 120;
  const step = 34;
  const height = 60 + exchanges.length * step + 20;
  const out: string[] = [];
  for (const l of lanes) {
    const x = laneX(l);
    out.push(`<text x="${x}" y="20" text-anchor="middle" font-weight="bold">${LABEL[l]}</text><line x1="${x}" y1="28" x2="${x}" y2="${height - 10}" stroke="#8c959f" stroke-dasharray="4 3"/>`);
  }
  exchanges.forEach((x, i) => {
    const y = 50 + i * step;
    const from = laneX('checker');
    const to = laneX(x.peer);
    const path = (() => {
      try {
        const u = new URL(x.request.url);
        return `${u.pathname}${u.search}`.slice(0, 48);
      } catch {
        return x.request.url.slice(0, 48);
      }
    })();
    const status = x.response?.status ?? 'error';
    const color = typeof status === 'number' && status < 400 ? '#1a7f37' : '#cf222e';
    out.push(
      `<a href="#x${i + 1}"><line x1="${from}" y1="${y}" x2="${to - 4}" y2="${y}" stroke="#24292f" marker-end="url(#arrow)"/>`,
      `<text x="${from + 6}" y="${y - 4}">${i + 1}. ${escapeHtml(x.request.method)} ${escapeHtml(path)}</text>`,
      `<line x1="${to}" y1="${y + 12}" x2="${from + 4}" y2="${y + 12}" stroke="${color}" stroke-dasharray="3 2" marker-end="url(#arrow)"/>`,
      `<text x="${to - 6}" y="${y + 10}" text-anchor="end" fill="${color}">${escapeHtml(String(status))} (${escapeHtml(x.key)})</text></a>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="sequence diagram of the observed requests">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${out.join('\n')}
</svg>`;
}
