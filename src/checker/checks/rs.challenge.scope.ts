import type { Check } from '../types.js';
import { challengeOf, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'rs.challenge.scope',
  level: 'SHOULD',
  source: 'MCP [AUTH] Scope Selection Strategy; RFC 6750 §3',
  title: 'the 401 challenge names the scopes needed (scope=…)',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const c = challengeOf(one(obs, 'mcp.no-token'));
    if (!c) return skip('no challenge to inspect');
    if (c.params.scope === undefined) return unmet('the 401 challenge has no scope parameter', 'add scope="<scopes for basic use>" so clients request the right scopes');
    return pass(`scope="${c.params.scope}"`);
  },
} satisfies Check;
