import type { Check } from '../types.js';
import { strings } from '../wire.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.metadata.pkce-s256',
  level: 'MUST',
  source: 'MCP [SEC] Authorization Code Protection; RFC 8414 §2; RFC 7636 §4.2',
  title: 'code_challenge_methods_supported contains S256',
  needs: ['as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) return skip('no metadata found (see as.metadata)');
    const methods = strings(meta.code_challenge_methods_supported);
    if (!methods?.includes('S256')) {
      return unmet(`code_challenge_methods_supported: ${JSON.stringify(meta.code_challenge_methods_supported ?? null)}`, 'advertise "code_challenge_methods_supported": ["S256"] (MCP clients refuse to proceed without it)');
    }
    return pass(methods.join(', '));
  },
} satisfies Check;
