import type { Check } from '../types.js';
import { one } from '../wire.js';
import { oauthError, status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.token.code-single-use',
  level: 'MUST',
  source: 'OAuth 2.1 §4.1.3, §7.5.3',
  title: 'a redeemed authorization code is refused the second time (invalid_grant)',
  needs: ['login.token', 'login.token.replay'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.token.replay');
    if (x?.response?.status === 200) return unmet('the same code was redeemed twice', 'mark codes used atomically; on reuse deny and revoke what the code issued');
    if (oauthError(x) !== 'invalid_grant') return unmet(`the replay got ${status(x)} error=${oauthError(x) ?? '(none)'}`, 'answer a reused code with 400 error=invalid_grant');
    return pass('400 invalid_grant');
  },
} satisfies Check;
