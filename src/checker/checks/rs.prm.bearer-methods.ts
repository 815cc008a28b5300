import type { Check } from '../types.js';
import { strings } from '../wire.js';
import { pass, prmDoc, unmet } from './lib.js';

export default {
  id: 'rs.prm.bearer-methods',
  level: 'SHOULD',
  source: 'RFC 9728 §2; MCP [AUTH] Token Requirements',
  title: 'bearer_methods_supported, if given, is ["header"] (never query)',
  needs: ['fact:prm.key'],
  evaluate(obs) {
    const methods = strings(prmDoc(obs)?.bearer_methods_supported);
    if (methods?.includes('query')) return unmet('bearer_methods_supported includes "query"', 'advertise ["header"]: MCP forbids tokens in the query string');
    return pass(methods ? methods.join(', ') : 'not advertised');
  },
} satisfies Check;
