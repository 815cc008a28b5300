/** Runs the pure checks over the observations and applies the level rules (unmet MUST fails, SHOULD warns, MAY informs). */
import type { Check, CheckResult, Level, Observations, Outcome, Verdict } from './types.js';

function lower(level: Level, v: Verdict): Verdict {
  if (v !== 'fail') return v;
  return level === 'MUST' ? 'fail' : level === 'SHOULD' ? 'warn' : 'info';
}

function missing(obs: Observations, need: string): boolean {
  return need.startsWith('fact:') ? obs.facts[need.slice(5)] === undefined : !obs.exchanges[need]?.length;
}

export function evaluateCheck(check: Check, obs: Observations): CheckResult {
  const base = { id: check.id, level: check.level, source: check.source, title: check.title };
  const absent = check.needs.find((n) => missing(obs, n));
  if (absent) {
    const why = obs.notes[absent] ?? obs.notes[absent.replace(/^fact:/, '')] ?? `${absent} was not observed`;
    return { ...base, verdict: 'skip', detail: why };
  }
  let out: Outcome;
  try {
    out = check.evaluate(obs);
  } catch (e) {
    // a check that throws is a checker bug; report it rather than hide the rest of the report
    out = { verdict: 'skip', detail: `check error: ${e instanceof Error ? e.message : String(e)}` };
  }
  const verdict = lower(check.level, out.verdict);
  return { ...base, verdict, detail: out.detail, ...(verdict === 'warn' || verdict === 'fail' || verdict === 'info' ? (out.fix ? { fix: out.fix } : {}) : {}) };
}

export function evaluateAll(checks: readonly Check[], obs: Observations): CheckResult[] {
  return checks.map((c) => evaluateCheck(c, obs));
}
