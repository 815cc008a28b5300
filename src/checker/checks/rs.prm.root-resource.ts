import type { Check } from '../types.js';
import { isJsonDocument, jsonBody, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'rs.prm.root-resource',
  level: 'SHOULD',
  source: 'RFC 9728 §3.3; spec-checklist §6 item 1',
  title: 'a root-form PRM, if served, names the origin (or the MCP URL) as resource',
  needs: ['prm.root'],
  evaluate(obs) {
    const x = one(obs, 'prm.root');
    if (!isJsonDocument(x)) return skip('no root-form PRM served (optional)');
    const origin = new URL(obs.target).origin;
    const resource = jsonBody(x)!.resource;
    if (resource === origin || resource === `${origin}/` || resource === obs.target) return pass(`root PRM resource ${String(resource)}`);
    return unmet(`root PRM says resource ${JSON.stringify(resource)}`, `make the root document's resource "${origin}" (RFC 9728 §3.3) or stop serving it`);
  },
} satisfies Check;
