import type { Check } from '../types.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.metadata.issuer-exact',
  level: 'MUST',
  source: 'RFC 8414 §3.3; MCP [DISC] Authorization Server Metadata Discovery',
  title: 'metadata issuer equals the issuer in authorization_servers, character for character',
  needs: ['fact:issuer', 'as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) return skip('no metadata found (see as.metadata)');
    const expected = obs.facts.issuer!;
    if (meta.issuer !== expected) {
      return unmet(`metadata issuer ${JSON.stringify(meta.issuer)} ≠ ${JSON.stringify(expected)} from the PRM`, 'publish one issuer string everywhere (watch trailing slashes); clients must reject a mismatch');
    }
    return pass(`issuer "${expected}"`);
  },
} satisfies Check;
