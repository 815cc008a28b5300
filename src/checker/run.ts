/** `runChecker(url)`: observe once (passive, then active, then login if asked), evaluate every check, build a report. */
import { CHECKS } from './checks/index.js';
import { evaluateAll } from './evaluate.js';
import { observeAuthorize } from './observe/authorize.js';
import { startCallback, type Callback } from './observe/callback.js';
import { defaultRedirectUri, type ClientConfig } from './observe/client.js';
import { noteLoginSkipped, observeLogin, type LoginOptions } from './observe/login.js';
import { oauthContext, registerClient } from './observe/oauth.js';
import { observePassive } from './observe/passive.js';
import { Recorder } from './observe/recorder.js';
import type { Check, Report, Verdict } from './types.js';

export interface CheckerOptions extends LoginOptions {
  timeoutMs?: number;
  progress?: (line: string) => void;
  fetch?: typeof fetch;
  checks?: readonly Check[];
  /** the client to act as for active checks (a CIMD URL or a pre-registered id) */
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  /** run the login phase: a real authorization-code + PKCE flow completed by a user (or `userAgent`) */
  login?: boolean;
}

export async function runChecker(target: string, opts: CheckerOptions = {}): Promise<Report> {
  const started = Date.now();
  const rec = new Recorder({ target, timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  await observePassive(rec);
  let client: ClientConfig | undefined = opts.clientId
    ? { id: opts.clientId, ...(opts.clientSecret ? { secret: opts.clientSecret } : {}), redirectUri: opts.redirectUri ?? defaultRedirectUri(49152 + Math.floor(Math.random() * 16000)) }
    : undefined;
  let cb: Callback | undefined;
  try {
    if (opts.login) {
      cb = await startCallback(opts.redirectUri ?? 'http://127.0.0.1/callback');
      client = client ? { ...client, redirectUri: cb.redirectUri } : await registerClient(rec, cb.redirectUri);
    }
    await observeAuthorize(rec, client);
    const ctx = client && rec.obs.facts.authorization_endpoint && rec.obs.facts.token_endpoint ? oauthContext(rec, client) : undefined;
    if (!opts.login) noteLoginSkipped(rec, 'needs --login (a real authorization-code flow with a user)');
    else if (!client) noteLoginSkipped(rec, rec.obs.notes['login.callback'] ?? 'no client to log in as: pass --client-id');
    else if (!ctx || !cb) noteLoginSkipped(rec, 'no usable authorization server metadata (see as.metadata)');
    else await observeLogin(rec, ctx, cb, opts);
  } finally {
    await cb?.close();
  }
  const results = evaluateAll(opts.checks ?? CHECKS, rec.obs);
  rec.redact();
  const summary: Record<Verdict, number> = { pass: 0, warn: 0, fail: 0, skip: 0, info: 0 };
  for (const r of results) summary[r.verdict]++;
  return { target, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, results, exchanges: rec.timeline, summary };
}
