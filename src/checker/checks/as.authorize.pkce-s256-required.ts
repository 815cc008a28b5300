import type { Check } from '../types.js';
import { pass, unmet } from './lib.js';
import { controlRefused, probe } from './lib-authorize.js';

export default {
  id: 'as.authorize.pkce-s256-required',
  level: 'MUST',
  source: 'OAuth 2.1 §4.1.1, §7.5.2; RFC 7636 §4.4.1; MCP [SEC] Authorization Code Protection',
  title: 'authorization requests without code_challenge, or with method plain, are refused',
  needs: ['authorize.control', 'authorize.no-pkce', 'authorize.plain'],
  phase: 'active',
  evaluate(obs) {
    const control = controlRefused(obs);
    if (control) return control;
    const none = probe(obs, 'authorize.no-pkce');
    if (none.kind !== 'error') return unmet(`no code_challenge: ${none.detail}`, 'require code_challenge on every authorization request (invalid_request)');
    const plain = probe(obs, 'authorize.plain');
    if (plain.kind !== 'error') return unmet(`code_challenge_method=plain: ${plain.detail}`, 'accept only S256 (refuse plain with invalid_request)');
    return pass(`missing → ${none.error}; plain → ${plain.error}`);
  },
} satisfies Check;
