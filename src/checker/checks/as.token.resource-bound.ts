import type { Check } from '../types.js';
import { one } from '../wire.js';
import { formParam, oauthError, status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.token.resource-bound',
  level: 'MUST',
  source: 'RFC 8707 §2.2; OAuth 2.1 §4.3.1; MCP [SEC] Token Audience Binding and Validation',
  title: 'a refresh for a resource the grant never covered gets invalid_target',
  needs: ['login.refresh.other-resource'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.refresh.other-resource');
    const other = formParam(x, 'resource');
    if (x?.response?.status === 200) return unmet(`the AS issued a token for ${other}, which the grant never covered`, 'refuse resources outside the grant with invalid_target (a refresh may narrow, never widen)');
    if (oauthError(x) !== 'invalid_target') return unmet(`refused with ${status(x)} error=${oauthError(x) ?? '(none)'}`, 'use error=invalid_target (RFC 8707 §2)');
    return pass(`invalid_target for ${other}`);
  },
} satisfies Check;
