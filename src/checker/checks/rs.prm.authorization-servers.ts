import type { Check } from '../types.js';
import { strings } from '../wire.js';
import { pass, prmDoc, unmet } from './lib.js';

export default {
  id: 'rs.prm.authorization-servers',
  level: 'MUST',
  source: 'MCP [AUTH] Overview item 4; RFC 9728 §2',
  title: 'authorization_servers lists at least one issuer URL',
  needs: ['fact:prm.key'],
  evaluate(obs) {
    const list = strings(prmDoc(obs)?.authorization_servers);
    if (!list || list.length === 0) return unmet('authorization_servers is missing or empty', 'list your authorization server issuer in authorization_servers');
    const bad = list.find((s) => !URL.canParse(s));
    if (bad !== undefined) return unmet(`not an issuer URL: ${JSON.stringify(bad)}`, 'list issuer identifiers (absolute https URLs), not endpoints');
    return pass(list.join(', '));
  },
} satisfies Check;
