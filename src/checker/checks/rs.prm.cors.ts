import type { Check } from '../types.js';
import { header, one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.prm.cors',
  level: 'SHOULD',
  source: 'spec-checklist §2A item 24; RFC 9728 §3',
  title: 'PRM readable by browser clients (Access-Control-Allow-Origin)',
  needs: ['prm.cors'],
  evaluate(obs) {
    const x = one(obs, 'prm.cors');
    if (x?.response?.status === 200 && header(x, 'access-control-allow-origin')) return pass(`Access-Control-Allow-Origin: ${header(x, 'access-control-allow-origin')}`);
    return unmet(`${x?.request.url} → ${x?.response?.status ?? x?.error} without Access-Control-Allow-Origin`, 'serve PRM with Access-Control-Allow-Origin: * (it is public)');
  },
} satisfies Check;
