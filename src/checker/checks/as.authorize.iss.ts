import type { Check } from '../types.js';
import { redirectParams } from '../wire.js';
import { authorizationResponses } from './lib-iss.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'as.authorize.iss',
  level: 'SHOULD',
  source: 'RFC 9207 §2; MCP [AUTH] Authorization Response Validation',
  title: 'iss on every authorization response (success and error)',
  needs: ['authorize.control'],
  phase: 'active',
  evaluate(obs) {
    const responses = authorizationResponses(obs);
    if (responses.length === 0) return skip('no authorization response was redirected to the client');
    const missing = responses.find((x) => !redirectParams(x)!.params.has('iss'));
    if (missing) return unmet(`no iss in the response to ${missing.key}`, 'add iss=<issuer> to every redirect to the client, errors included');
    return pass(`iss on ${responses.length} response(s)`);
  },
} satisfies Check;
