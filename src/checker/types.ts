/**
 * The checker's data model. Observers make HTTP requests once and record them as named exchanges; checks are pure
 * functions from those observations to a verdict (STYLE "checks are data"), so adding a check touches one file.
 */
export type Level = 'MUST' | 'SHOULD' | 'MAY';
export type Verdict = 'pass' | 'warn' | 'fail' | 'skip' | 'info';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request/response pair as observed on the wire (`error` when no response arrived). */
export interface Exchange {
  /** observation key it was recorded under, e.g. `mcp.no-token` */
  key: string;
  /** who answered, for the sequence diagram: `RS` (MCP server), `AS`, `UA` (user agent / login) */
  peer: 'RS' | 'AS' | 'UA';
  request: RecordedRequest;
  response?: RecordedResponse;
  error?: string;
  ms: number;
}

/** Everything the observers saw: the target URL, exchanges by key, and notes on why something was not observed. */
export interface Observations {
  target: string;
  exchanges: Record<string, Exchange[]>;
  /** key → reason it is absent (e.g. "no client: pass --client-id"), shown when a check skips */
  notes: Record<string, string>;
  /** facts derived during the run that later steps and checks share (e.g. the issuer chosen from the PRM) */
  facts: Record<string, string>;
}

/**
 * What `evaluate` returns. Checks say `fail` for "requirement unmet"; the runner lowers it to `warn` for a SHOULD
 * and `info` for a MAY, so a check never needs to know how its level maps to severity.
 */
export interface Outcome {
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export interface Check {
  id: string;
  level: Level;
  /** the spec section(s) the requirement comes from */
  source: string;
  title: string;
  /** observation keys (exchange keys or `fact:<name>`) that must be present, else the check skips */
  needs: string[];
  /** when the check belongs to an optional phase that did not run, it skips with this phase named */
  phase?: 'passive' | 'active' | 'login';
  evaluate(obs: Observations): Outcome;
}

export interface CheckResult {
  id: string;
  level: Level;
  source: string;
  title: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export interface Report {
  target: string;
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
  exchanges: Exchange[];
  summary: Record<Verdict, number>;
}
