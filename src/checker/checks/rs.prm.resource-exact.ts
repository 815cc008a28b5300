import type { Check } from '../types.js';
import { isJsonDocument, jsonBody, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'rs.prm.resource-exact',
  level: 'MUST',
  source: 'RFC 9728 §3.3, §7.3; MCP [AUTH] Canonical Server URI',
  title: 'PRM resource equals the MCP URL exactly (header and path-form documents)',
  needs: ['mcp.no-token'],
  evaluate(obs) {
    const docs = ['prm.header', 'prm.path'].map((k) => one(obs, k)).filter((x) => isJsonDocument(x));
    if (docs.length === 0) return skip('no PRM document reached from the challenge or the path form');
    for (const x of docs) {
      const resource = jsonBody(x)!.resource;
      if (resource !== obs.target) {
        return unmet(`${x!.request.url} says resource ${JSON.stringify(resource)}, the MCP URL is ${obs.target}`, `set resource to exactly "${obs.target}" (no added or dropped trailing slash)`);
      }
    }
    return pass(`resource "${obs.target}"`);
  },
} satisfies Check;
