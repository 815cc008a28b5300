import type { Check } from '../types.js';
import { header, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.metadata.cors',
  level: 'SHOULD',
  source: 'spec-checklist §2A item 24; RFC 8414 §3',
  title: 'AS metadata readable by browser clients (Access-Control-Allow-Origin)',
  needs: ['as.metadata.cors'],
  evaluate(obs) {
    const x = one(obs, 'as.metadata.cors');
    if (x?.response?.status === 200 && header(x, 'access-control-allow-origin')) return pass(`Access-Control-Allow-Origin: ${header(x, 'access-control-allow-origin')}`);
    return unmet(`${x?.request.url} → ${x?.response?.status ?? x?.error} without Access-Control-Allow-Origin`, 'serve AS metadata with Access-Control-Allow-Origin: * (it is public)');
  },
} satisfies Check;
