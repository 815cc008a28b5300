import type { Exchange, Observations } from '../types.js';
import { redirectParams } from '../wire.js';

/** Every recorded authorization response redirected to the client's redirect URI (with code or error). */
export function authorizationResponses(obs: Observations): Exchange[] {
  const redirect = obs.facts.redirect_uri;
  if (!redirect) return [];
  const want = new URL(redirect);
  return Object.entries(obs.exchanges)
    .filter(([k]) => k.startsWith('authorize.') || k.startsWith('login.'))
    .flatMap(([, xs]) => xs)
    .filter((x) => {
      const r = redirectParams(x);
      if (!r) return false;
      const got = new URL(r.target);
      return got.hostname === want.hostname && got.pathname === want.pathname && (r.params.has('code') || r.params.has('error'));
    });
}
