import type { Check } from '../types.js';
import { one } from '../wire.js';
import { asMeta, pass, unmet } from './lib.js';

export default {
  id: 'as.authorize.iss-callback',
  level: 'MUST',
  source: 'RFC 9207 §2, §2.4; MCP [AUTH] Authorization Response Validation',
  title: 'the authorization response a client receives passes the RFC 9207 iss decision table',
  needs: ['login.callback'],
  phase: 'login',
  evaluate(obs) {
    const meta = asMeta(obs);
    const issuer = meta?.issuer ?? obs.facts.issuer;
    const iss = new URL(one(obs, 'login.callback')!.request.url).searchParams.getAll('iss');
    const advertised = meta?.authorization_response_iss_parameter_supported === true;
    if (iss.length === 0) {
      if (advertised) return unmet('no iss, yet authorization_response_iss_parameter_supported is true: MCP clients must reject this response', 'add iss=<issuer> to every authorization response');
      return pass('no iss and none advertised (clients proceed; as.metadata.iss-supported covers advertising it)');
    }
    if (iss.length !== 1 || iss[0] !== issuer) return unmet(`iss=${JSON.stringify(iss)}, issuer ${JSON.stringify(issuer)}: clients must reject this response`, 'send iss once, exactly as the metadata issuer');
    return pass(`iss "${iss[0]}"`);
  },
} satisfies Check;
