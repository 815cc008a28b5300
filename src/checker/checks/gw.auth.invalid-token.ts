import type { Check } from '../types.js';
import { challengeOf, describe, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'gw.auth.invalid-token',
  level: 'MUST',
  source: 'MCP [AUTH] Token Handling; OAuth 2.1 §5.3.2; RFC 6750 §3.1',
  title: 'an invalid token gets 401 error="invalid_token"',
  needs: ['mcp.bad-token'],
  evaluate(obs) {
    const x = one(obs, 'mcp.bad-token');
    if (x?.response?.status !== 401) return unmet(`${describe(x)} for a bogus token, expected 401`, 'refuse tokens you cannot verify with 401');
    const c = challengeOf(x);
    if (c?.params.error !== 'invalid_token') return unmet(`401 challenge error=${c?.params.error ?? '(none)'}`, 'send WWW-Authenticate: Bearer error="invalid_token", resource_metadata=…');
    return pass('401 invalid_token');
  },
} satisfies Check;
