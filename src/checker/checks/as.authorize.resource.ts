import type { Check } from '../types.js';
import { pass, unmet } from './lib.js';
import { controlRefused, probe } from './lib-authorize.js';

export default {
  id: 'as.authorize.resource',
  level: 'MUST',
  source: 'RFC 8707 §2; MCP [SEC] Token Audience Binding and Validation',
  title: 'an unknown resource gets invalid_target',
  needs: ['authorize.control', 'authorize.unknown-resource'],
  phase: 'active',
  evaluate(obs) {
    const control = controlRefused(obs);
    if (control) return control;
    const p = probe(obs, 'authorize.unknown-resource');
    if (p.kind !== 'error') return unmet(`unknown resource: ${p.detail}`, 'refuse resources you do not protect with error=invalid_target');
    if (p.error !== 'invalid_target') return unmet(`unknown resource refused with ${p.error}`, 'use error=invalid_target (RFC 8707 §2)');
    return pass('invalid_target');
  },
} satisfies Check;
