import type { Check } from '../types.js';
import { strings } from '../wire.js';
import { pass, prmDoc, unmet } from './lib.js';

export default {
  id: 'rs.prm.no-offline-access',
  level: 'SHOULD',
  source: 'MCP [AUTH] Refresh Tokens',
  title: 'PRM scopes_supported omits offline_access',
  needs: ['fact:prm.key'],
  evaluate(obs) {
    const scopes = strings(prmDoc(obs)?.scopes_supported) ?? [];
    if (scopes.includes('offline_access')) return unmet('scopes_supported contains offline_access', 'drop offline_access from the PRM (it is an AS concern)');
    return pass(scopes.length ? `scopes_supported: ${scopes.join(' ')}` : 'no scopes_supported');
  },
} satisfies Check;
