import type { Check } from '../types.js';
import { challengeOf, describe, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.bearer.header-only',
  level: 'MUST',
  source: 'MCP [AUTH] Token Requirements; OAuth 2.1 §5.2',
  title: 'tokens are read only from the Authorization header (query-string tokens refused)',
  needs: ['mcp.query-token', 'mcp.no-token'],
  evaluate(obs) {
    const x = one(obs, 'mcp.query-token');
    const authed = one(obs, 'mcp.authed-query');
    if (authed?.response && authed.response.status < 300) return unmet(`a valid token in ?access_token= was accepted: ${describe(authed)}`, 'ignore or refuse access_token in the query string');
    const status = x?.response?.status ?? 0;
    if (status >= 200 && status < 300) return unmet(`${describe(x)}`, 'refuse requests carrying access_token in the query string');
    // reading the query token at all shows up as invalid_token (a server that ignores it says "no credentials")
    const queryError = challengeOf(x)?.params.error;
    const noTokenError = challengeOf(one(obs, 'mcp.no-token'))?.params.error;
    if (queryError === 'invalid_token' && noTokenError !== 'invalid_token') return unmet('the query-string token was read and judged (invalid_token): a valid one would be accepted', 'read tokens only from the Authorization header');
    return pass(`${status} for ?access_token=`);
  },
} satisfies Check;
