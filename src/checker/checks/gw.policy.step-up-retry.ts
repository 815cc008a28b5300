import type { Check } from '../types.js';
import { challengeOf, one } from '../wire.js';
import { status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'gw.policy.step-up-retry',
  level: 'SHOULD',
  source: 'MCP [AUTH] Step-Up Authorization Flow, Scope Challenge Handling',
  title: 'after authorizing the challenged scopes, the same tool call is allowed',
  needs: ['login.step-up', 'login.step-up.retry'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.step-up.retry');
    const s = x?.response?.status ?? 0;
    if (s >= 200 && s < 300) return pass(`${s} with the stepped-up token`);
    const c = challengeOf(x);
    return unmet(`the retry got ${status(x)}${c?.params.error ? ` error=${c.params.error}` : ''}`, 'grant the scopes named in the challenge (when the user may have them) and accept the new token');
  },
} satisfies Check;
