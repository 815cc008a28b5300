import type { Check } from '../types.js';
import { describe, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'gw.origin.validate',
  level: 'MUST',
  source: 'MCP [HTTP] Security (DNS rebinding)',
  title: 'a request with a foreign Origin gets 403',
  needs: ['mcp.origin-foreign'],
  evaluate(obs) {
    const x = one(obs, 'mcp.origin-foreign');
    if (x?.response?.status === 403) return pass('403 for a foreign Origin');
    return unmet(`${describe(x)} with Origin ${x?.request.headers.origin}`, 'validate Origin against an allowlist and answer 403 otherwise');
  },
} satisfies Check;
