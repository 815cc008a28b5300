import type { Check } from '../types.js';
import { describe, isJsonDocument, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.prm.discoverable',
  level: 'MUST',
  source: 'MCP [DISC] Protected Resource Metadata Discovery Requirements; RFC 9728 §3.2',
  title: 'PRM reachable (header pointer, path form or root form): 200 application/json object',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const keys = ['prm.header', 'prm.path', 'prm.root'];
    const hit = keys.find((k) => isJsonDocument(one(obs, k)));
    if (!hit) {
      const tried = keys.map((k) => describe(one(obs, k))).filter((d) => d !== 'not observed');
      return unmet(`no PRM document: ${tried.join('; ')}`, 'serve RFC 9728 metadata at /.well-known/oauth-protected-resource<path> as application/json');
    }
    return pass(`found via ${hit}: ${one(obs, hit)!.request.url}`);
  },
} satisfies Check;
