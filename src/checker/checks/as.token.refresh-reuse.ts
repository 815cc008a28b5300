import type { Check } from '../types.js';
import { jsonBody, one } from '../wire.js';
import { oauthError, status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.token.refresh-reuse',
  level: 'MUST',
  source: 'OAuth 2.1 §4.3.1; RFC 9700 §4.14.2',
  title: 'a rotated (old) refresh token is refused when used again',
  needs: ['login.refresh', 'login.refresh.reuse'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.refresh.reuse');
    const waited = Number(obs.facts['login.refresh.waited-ms'] ?? 0) / 1000;
    if (x?.response?.status !== 200) {
      if (oauthError(x) === 'invalid_grant') return pass(`reuse refused with invalid_grant${waited ? ` after waiting ${waited} s` : ' at once'}`);
      return unmet(`reuse answered ${status(x)} error=${oauthError(x) ?? '(none)'}`, 'answer a reused refresh token with 400 invalid_grant');
    }
    const first = jsonBody(one(obs, 'login.refresh'));
    const again = jsonBody(x);
    const samePair = again?.access_token === first?.access_token && again?.refresh_token === first?.refresh_token;
    if (!samePair) return unmet('the old refresh token minted a new, different pair: a stolen refresh token stays usable', 'refuse rotated refresh tokens (and revoke the grant on reuse)');
    if (waited) return unmet(`the same pair was still replayed ${waited} s later`, 'keep any retry grace short and refuse reuse after it');
    return pass('the same pair was replayed (a retry grace window for lost responses); reuse after the grace was not tested — rerun with --refresh-grace-wait SECONDS');
  },
} satisfies Check;
