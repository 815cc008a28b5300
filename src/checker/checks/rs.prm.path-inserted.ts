import type { Check } from '../types.js';
import { describe, isJsonDocument, one, wellKnownAppended } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.prm.path-inserted',
  level: 'MUST',
  source: 'RFC 9728 §3.1; MCP [DISC]',
  title: 'PRM served at the path-inserted well-known URL',
  needs: ['prm.path'],
  evaluate(obs) {
    const x = one(obs, 'prm.path');
    if (isJsonDocument(x)) return pass(x!.request.url);
    const appended = wellKnownAppended(obs.target, 'oauth-protected-resource');
    const hdr = one(obs, 'prm.header')?.request.url;
    const hint = hdr === appended ? ` (the challenge points at ${appended}: suffix appended instead of inserted)` : '';
    return unmet(`${describe(x)}${hint}`, `serve PRM at ${x?.request.url ?? 'the path-inserted URL'} (insert /.well-known/oauth-protected-resource between host and path)`);
  },
} satisfies Check;
