/** One line per check: verdict, id, spec section, and a one-line fix hint for what did not pass. */
import type { Report, Verdict } from '../types.js';

const MARK: Record<Verdict, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', info: 'INFO' };

export function textReport(r: Report): string {
  const width = Math.max(...r.results.map((x) => x.id.length));
  const lines = r.results.map((x) => {
    const hint = x.verdict === 'fail' || x.verdict === 'warn' || x.verdict === 'info' ? `: ${x.detail}${x.fix ? ` — fix: ${x.fix}` : ''}` : x.verdict === 'skip' ? `: ${x.detail}` : '';
    return `${MARK[x.verdict]}  ${x.id.padEnd(width)}  [${x.level} ${x.source}]${hint}`;
  });
  const s = r.summary;
  lines.push('', `${r.target}: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.info} info (${r.durationMs} ms, ${r.exchanges.length} requests)`);
  return lines.join('\n');
}
