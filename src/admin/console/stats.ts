import type { AuditRow, Store } from '../../store/types.js';
import type { Bucket } from './charts.js';

/**
 * What the overview charts count, from audit event types as they are emitted (grep `audit.record`):
 * - issued:   `token.issued`, `token.refreshed` (every access token handed out);
 * - step-ups: `tool.denied` with reason `insufficient_scope` — the 403 challenge a client answers by asking for
 *   more scope (MCP "Step-Up Authorization Flow") — and any `*step_up*` event;
 * - denials:  every other refusal: `tool.denied` (policy), `login.failure`, `login.upstream.failure`,
 *   `consent.denied`, `device.denied`, `trust.decision` deny, reuse detections, a refused ID-JAG (`idjag.rejected`)
 *   or ID-JAG issuance (`idjag.issue_refused`), a refused device user code (`device.user_code_rejected`), and any
 *   other `*.denied` / `*.failure` / `*.refused` / `*.rejected` (or `*_refused` / `*_rejected`) type another part adds.
 */
export type Series = 'issued' | 'denials' | 'stepups';

export function classify(type: string, data: Record<string, unknown>): Series | null {
  if (type === 'token.issued' || type === 'token.refreshed') return 'issued';
  if (type.includes('step_up') || type.includes('step-up') || (type === 'tool.denied' && data.reason === 'insufficient_scope')) return 'stepups';
  if (type === 'trust.decision') return data.decision === 'deny' ? 'denials' : null;
  if (/\.(denied|failure|refused|rejected)$/.test(type) || /_(refused|rejected)$/.test(type) || type.endsWith('reuse_detected')) return 'denials';
  return null;
}

export const RANGES = {
  '24h': { span: 24 * 3_600_000, step: 3_600_000, label: 'last 24 hours' },
  '7d': { span: 7 * 86_400_000, step: 6 * 3_600_000, label: 'last 7 days' },
  '30d': { span: 30 * 86_400_000, step: 86_400_000, label: 'last 30 days' },
} as const;
export type RangeId = keyof typeof RANGES;

/** the most audit entries one overview reads (the rest is reported as cut, never silently dropped) */
export const MAX_ROWS = 50_000;

export interface Activity {
  step: number;
  series: Record<Series, Bucket[]>;
  rows: number;
  truncated: boolean;
}

/**
 * Counts events of the range into buckets aligned to the step (UTC), reading the log a page at a time from the
 * range start and stopping at MAX_ROWS.
 */
export async function activity(store: Store, now: number, range: RangeId): Promise<Activity> {
  const { span, step } = RANGES[range];
  const end = Math.floor(now / step) * step + step;
  const start = end - span;
  const n = Math.round(span / step);
  const series: Record<Series, Bucket[]> = {
    issued: Array.from({ length: n }, (_, i) => ({ start: start + i * step, count: 0 })),
    denials: Array.from({ length: n }, (_, i) => ({ start: start + i * step, count: 0 })),
    stepups: Array.from({ length: n }, (_, i) => ({ start: start + i * step, count: 0 })),
  };
  let rows = 0;
  let after = 0;
  const page = 2000;
  for (;;) {
    const batch: AuditRow[] = await store.listAudit({ since: start, until: end, after_seq: after, limit: page, order: 'asc' });
    for (const r of batch) {
      rows++;
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(r.data) as Record<string, unknown>;
      } catch {
        // an unreadable entry is the verifier's business; it counts as nothing here
      }
      const s = classify(r.type, data);
      const i = Math.floor((r.time - start) / step);
      if (s && i >= 0 && i < n) series[s][i]!.count++;
      if (rows >= MAX_ROWS) return { step, series, rows, truncated: true };
    }
    if (batch.length < page) return { step, series, rows, truncated: false };
    after = batch[batch.length - 1]!.seq;
  }
}
