import type { Check } from '../types.js';
import { redirectParams } from '../wire.js';
import { authorizationResponses } from './lib-iss.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.authorize.iss-exact',
  level: 'MUST',
  source: 'RFC 9207 §2; MCP [AUTH] Authorization Response Validation',
  title: 'iss, when sent, appears once and equals the metadata issuer exactly',
  needs: ['authorize.control'],
  phase: 'active',
  evaluate(obs) {
    const issuer = asMeta(obs)?.issuer ?? obs.facts.issuer;
    const responses = authorizationResponses(obs).filter((x) => redirectParams(x)!.params.has('iss'));
    if (responses.length === 0) return skip('no authorization response carried iss');
    for (const x of responses) {
      const iss = redirectParams(x)!.params.getAll('iss');
      if (iss.length !== 1 || iss[0] !== issuer) {
        return unmet(`${x.key}: iss=${JSON.stringify(iss)} but the issuer is ${JSON.stringify(issuer)}`, 'send iss exactly as the metadata issuer, once');
      }
    }
    return pass(`iss "${String(issuer)}"`);
  },
} satisfies Check;
