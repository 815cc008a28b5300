import type { Check } from '../types.js';
import { challengeOf, describe, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'gw.auth.401-challenge',
  level: 'MUST',
  source: 'RFC 9728 §5.1; MCP [DISC] Protected Resource Metadata Discovery',
  title: 'a request without a token gets 401 with WWW-Authenticate: Bearer resource_metadata=…',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const x = one(obs, 'mcp.no-token');
    if (x?.response?.status !== 401) return unmet(`${describe(x)}, expected 401`, 'answer unauthenticated MCP requests with 401 and a Bearer challenge');
    const c = challengeOf(x);
    if (!c) return unmet('401 without a WWW-Authenticate header', 'add WWW-Authenticate: Bearer resource_metadata="<PRM URL>"');
    if (c.scheme.toLowerCase() !== 'bearer') return unmet(`challenge scheme is ${c.scheme}, not Bearer`, 'use the Bearer scheme (RFC 6750 §3)');
    const rm = c.params.resource_metadata;
    if (!rm) return unmet('the Bearer challenge has no resource_metadata', 'add resource_metadata="<origin>/.well-known/oauth-protected-resource<path>" to the challenge');
    if (!URL.canParse(rm)) return unmet(`resource_metadata is not an absolute URL: ${rm}`, 'send the absolute URL of the PRM document');
    return pass(`401 Bearer resource_metadata="${rm}"`);
  },
} satisfies Check;
