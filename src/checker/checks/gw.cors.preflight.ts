import type { Check } from '../types.js';
import { header, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'gw.cors.preflight',
  level: 'SHOULD',
  source: 'spec-checklist §2A item 24; Fetch (CORS-preflight)',
  title: 'the preflight allows Authorization and MCP-Protocol-Version',
  needs: ['mcp.preflight'],
  evaluate(obs) {
    const x = one(obs, 'mcp.preflight');
    if (!header(x, 'access-control-allow-origin')) return skip('no CORS preflight answer: not offered to browser clients');
    const allowed = (header(x, 'access-control-allow-headers') ?? '').toLowerCase().split(',').map((s) => s.trim());
    const missing = ['authorization', 'mcp-protocol-version'].filter((h) => !allowed.includes(h) && !allowed.includes('*'));
    if (missing.length) return unmet(`Access-Control-Allow-Headers lacks ${missing.join(', ')}`, `allow ${missing.join(', ')} in the preflight`);
    return pass(header(x, 'access-control-allow-headers')!);
  },
} satisfies Check;
