import type { Check } from '../types.js';
import { challengeOf, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

const SINGLE = ['realm', 'scope', 'error', 'error_description', 'error_uri'];

export default {
  id: 'rs.challenge.syntax',
  level: 'MUST',
  source: 'OAuth 2.1 §5.3.1; RFC 6750 §3',
  title: 'Bearer challenge attributes appear at most once',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const seen = ['mcp.no-token', 'mcp.bad-token'].map((k) => challengeOf(one(obs, k))).filter((c) => c !== undefined);
    if (seen.length === 0) return skip('no challenge to inspect');
    for (const c of seen) {
      const dup = SINGLE.find((n) => c.names.filter((m) => m === n).length > 1);
      if (dup) return unmet(`attribute ${dup} appears more than once`, `send ${dup} once per challenge`);
    }
    return pass(`${seen.length} challenge(s) well-formed`);
  },
} satisfies Check;
