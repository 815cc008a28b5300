import { esc, table } from './layout.js';

export interface Bucket {
  /** start of the bucket, epoch ms */
  start: number;
  count: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** CSS class of the series (colours live in the stylesheet, never in the SVG) */
  cls: string;
  buckets: Bucket[];
  /** bucket width, ms (labels: hours for < 1 day, dates otherwise) */
  step: number;
}

const W = 480;
const H = 220;
const PAD = { left: 40, right: 8, top: 12, bottom: 28 };

const label = (ms: number, step: number): string => {
  const iso = new Date(ms).toISOString();
  return step < 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
};

/** a "nice" axis maximum ≥ max: 1, 2, 5 × 10^n */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * A bar chart drawn on the server as inline SVG (no script, no chart library): `role="img"` with a title and a
 * description that states the totals, each bar titled with its count, and the numbers again as a table for
 * screen readers and for copying.
 */
export function barChart(c: ChartSpec): string {
  const total = c.buckets.reduce((n, b) => n + b.count, 0);
  const max = niceMax(Math.max(0, ...c.buckets.map((b) => b.count)));
  const peak = c.buckets.reduce<Bucket | null>((p, b) => (b.count > (p?.count ?? 0) ? b : p), null);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, c.buckets.length);
  const bars = c.buckets
    .map((b, i) => {
      const h = (b.count / max) * innerH;
      const x = PAD.left + i * slot + slot * 0.1;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${(PAD.top + innerH - h).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(label(b.start, c.step))}: ${b.count}</title></rect>`;
    })
    .join('');
  const ticks = [0, max / 2, max]
    .map((v) => {
      const y = PAD.top + innerH - (v / max) * innerH;
      return `<line class="axis" x1="${PAD.left - 4}" x2="${PAD.left}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/><text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(c.buckets.length / 4));
  const xLabels = c.buckets
    .map((b, i) => (i % every === 0 ? `<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle">${esc(label(b.start, c.step))}</text>` : ''))
    .join('');
  const first = c.buckets[0];
  const last = c.buckets[c.buckets.length - 1];
  const span = first && last ? `from ${label(first.start, c.step)} to ${label(last.start + c.step, c.step)} UTC` : '';
  const detail = `${span}${peak ? `; the most, ${peak.count}, in the interval starting ${label(peak.start, c.step)}` : ''}`;
  const desc = `${total} in total ${detail}.`;
  const rows = c.buckets.map((b) => [esc(label(b.start, c.step)), String(b.count)]);
  return `<figure id="${esc(c.id)}"><svg class="chart ${esc(c.cls)}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${esc(c.id)}-t ${esc(c.id)}-d" xmlns="http://www.w3.org/2000/svg"><title id="${esc(c.id)}-t">${esc(c.title)}</title><desc id="${esc(c.id)}-d">${esc(desc)}</desc>
<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + innerH}" y2="${PAD.top + innerH}"/><line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + innerH}"/>${ticks}${bars}${xLabels}</svg>
<figcaption><strong>${esc(c.title)}</strong>: <span class="chart-total">${total}</span> in total <span class="muted">${esc(detail)}</span></figcaption>
<details><summary>${esc(c.title)} as a table</summary>${table(`${c.title} per interval (UTC)`, ['Interval start', 'Count'], rows)}</details></figure>`;
}
