/** `runChecker(url)`: observe once (passive, then active, then login if asked), evaluate every check, build a report. */
import { CHECKS } from './checks/index.js';
import { evaluateAll } from './evaluate.js';
import { observeAuthorize } from './observe/authorize.js';
import { defaultRedirectUri, type ClientConfig } from './observe/client.js';
import { observePassive } from './observe/passive.js';
import { Recorder } from './observe/recorder.js';
import type { Check, Report, Verdict } from './types.js';

export interface CheckerOptions {
  timeoutMs?: number;
  progress?: (line: string) => void;
  fetch?: typeof fetch;
  checks?: readonly Check[];
  /** the client to act as for active checks (a CIMD URL or a pre-registered id) */
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
}

export async function runChecker(target: string, opts: CheckerOptions = {}): Promise<Report> {
  const started = Date.now();
  const rec = new Recorder({ target, timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  await observePassive(rec);
  const client: ClientConfig | undefined = opts.clientId
    ? { id: opts.clientId, ...(opts.clientSecret ? { secret: opts.clientSecret } : {}), redirectUri: opts.redirectUri ?? defaultRedirectUri(49152 + Math.floor(Math.random() * 16000)) }
    : undefined;
  await observeAuthorize(rec, client);
  const results = evaluateAll(opts.checks ?? CHECKS, rec.obs);
  const summary: Record<Verdict, number> = { pass: 0, warn: 0, fail: 0, skip: 0, info: 0 };
  for (const r of results) summary[r.verdict]++;
  return { target, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, results, exchanges: rec.timeline, summary };
}
