/** Shared by the /authorize checks: a refusal only means something if the control request was accepted. */
import { classifyAuthorize, type AuthorizeOutcome } from '../authorize-outcome.js';
import type { Observations, Outcome } from '../types.js';
import { one } from '../wire.js';
import { skip } from './lib.js';

export function probe(obs: Observations, key: string): AuthorizeOutcome {
  return classifyAuthorize(one(obs, key), obs.facts.redirect_uri ?? '');
}

export function controlRefused(obs: Observations): Outcome | undefined {
  const c = probe(obs, 'authorize.control');
  if (c.kind === 'accepted') return undefined;
  return skip(`the valid control request was not accepted (${c.detail}), so refusals prove nothing; check --client-id and its redirect URI`);
}
