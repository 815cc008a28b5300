/** Outcome constructors shared by the checks (keep each check a few lines of judgement). */
import type { Outcome } from '../types.js';
import { jsonBody, one } from '../wire.js';
import type { Observations } from '../types.js';

export const pass = (detail: string): Outcome => ({ verdict: 'pass', detail });
/** requirement unmet: the runner maps this to fail (MUST), warn (SHOULD) or info (MAY) */
export const unmet = (detail: string, fix: string): Outcome => ({ verdict: 'fail', detail, fix });
export const skip = (detail: string): Outcome => ({ verdict: 'skip', detail });
export const info = (detail: string): Outcome => ({ verdict: 'info', detail });

/** The PRM document a client would use (header pointer, else path form, else root form). */
export function prmDoc(obs: Observations): Record<string, unknown> | undefined {
  const key = obs.facts['prm.key'];
  return key ? jsonBody(one(obs, key)) : undefined;
}

/** The AS metadata document found in the client discovery order. */
export function asMeta(obs: Observations): Record<string, unknown> | undefined {
  return obs.facts['as.metadata.url'] ? jsonBody(one(obs, 'as.metadata')) : undefined;
}
