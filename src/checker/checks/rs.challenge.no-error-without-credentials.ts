import type { Check } from '../types.js';
import { challengeOf, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'rs.challenge.no-error-without-credentials',
  level: 'SHOULD',
  source: 'RFC 6750 §3.1; OAuth 2.1 §5.3.2',
  title: 'no error attribute when the request carried no credentials',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const c = challengeOf(one(obs, 'mcp.no-token'));
    if (!c) return skip('no challenge to inspect');
    if (c.params.error !== undefined) return unmet(`error="${c.params.error}" on a request that carried no token`, 'omit error (and error_description) when no credentials were sent');
    return pass('no error attribute');
  },
} satisfies Check;
