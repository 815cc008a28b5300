import type { Check } from '../types.js';
import { header, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'gw.cors.expose-challenge',
  level: 'SHOULD',
  source: 'spec-checklist §2A item 24, §6 item 8; Fetch (CORS) Access-Control-Expose-Headers',
  title: 'browser clients can read WWW-Authenticate (Access-Control-Expose-Headers)',
  needs: ['mcp.origin-browser'],
  evaluate(obs) {
    const x = one(obs, 'mcp.origin-browser');
    const acao = header(x, 'access-control-allow-origin');
    if (!acao) return skip(`no CORS for Origin ${x?.request.headers.origin} (${x?.response?.status ?? x?.error}): not offered to browser clients`);
    const expose = (header(x, 'access-control-expose-headers') ?? '').toLowerCase().split(',').map((s) => s.trim());
    if (!expose.includes('www-authenticate') && !expose.includes('*')) {
      return unmet('the 401 allows the origin but does not expose WWW-Authenticate', 'add Access-Control-Expose-Headers: WWW-Authenticate (and Mcp-Session-Id)');
    }
    return pass(`expose: ${header(x, 'access-control-expose-headers')}`);
  },
} satisfies Check;
