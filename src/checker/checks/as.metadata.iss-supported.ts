import type { Check } from '../types.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.metadata.iss-supported',
  level: 'SHOULD',
  source: 'RFC 9207 §3; MCP [AUTH] Authorization Response Validation',
  title: 'authorization_response_iss_parameter_supported: true',
  needs: ['as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) return skip('no metadata found (see as.metadata)');
    if (meta.authorization_response_iss_parameter_supported !== true) {
      return unmet('authorization_response_iss_parameter_supported is not true', 'send iss on authorization responses and advertise authorization_response_iss_parameter_supported: true');
    }
    return pass('advertised');
  },
} satisfies Check;
