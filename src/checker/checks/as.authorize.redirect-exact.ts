import type { Check } from '../types.js';
import { pass, unmet } from './lib.js';
import { controlRefused, probe } from './lib-authorize.js';

export default {
  id: 'as.authorize.redirect-exact',
  level: 'MUST',
  source: 'OAuth 2.1 §2.3.1, §4.1.1; RFC 9700 §4.1; MCP [SEC] Open Redirection',
  title: 'an unregistered redirect_uri is refused and never redirected to',
  needs: ['authorize.control', 'authorize.evil-redirect'],
  phase: 'active',
  evaluate(obs) {
    const control = controlRefused(obs);
    if (control) return control;
    const p = probe(obs, 'authorize.evil-redirect');
    if (p.kind === 'redirected-elsewhere') return unmet(`redirected to the unregistered URI (${p.to})`, 'compare redirect_uri exactly with the registered ones; show errors locally before it is validated');
    if (p.kind !== 'error') return unmet(`unregistered redirect_uri: ${p.detail}`, 'refuse redirect URIs that are not registered (exact string match)');
    return pass(`refused: ${p.detail}`);
  },
} satisfies Check;
