import type { Check } from '../types.js';
import { all, describe, strings } from '../wire.js';
import { asMeta, pass, unmet } from './lib.js';

export default {
  id: 'as.metadata',
  level: 'MUST',
  source: 'RFC 8414 §2–3; MCP [AUTH] Overview item 5; MCP [DISC] Authorization Server Metadata Discovery',
  title: 'AS metadata found in the client discovery order, with the core fields',
  needs: ['as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) {
      return unmet(`no metadata: ${all(obs, 'as.metadata').map(describe).join('; ')}`, 'serve RFC 8414 metadata at /.well-known/oauth-authorization-server<issuer path>');
    }
    const missing = ['issuer', 'authorization_endpoint', 'token_endpoint'].filter((k) => typeof meta[k] !== 'string');
    if (!strings(meta.response_types_supported)?.includes('code')) missing.push('response_types_supported ∋ "code"');
    if (missing.length) return unmet(`missing: ${missing.join(', ')}`, `add ${missing.join(', ')} to the metadata`);
    return pass(obs.facts['as.metadata.url']!);
  },
} satisfies Check;
