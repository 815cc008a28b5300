import type { Check } from '../types.js';
import { header, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'as.token.no-store',
  level: 'MUST',
  source: 'OAuth 2.1 §3.2.3; RFC 6749 §5.1',
  title: 'token responses carry Cache-Control: no-store',
  needs: ['login.token'],
  phase: 'login',
  evaluate(obs) {
    const xs = ['login.token', 'login.refresh'].map((k) => one(obs, k)).filter((x) => x?.response?.status === 200);
    if (xs.length === 0) return skip('no successful token response to inspect (see as.token.response)');
    const bad = xs.find((x) => !/(^|,)\s*no-store\s*(,|$)/i.test(header(x, 'cache-control') ?? ''));
    if (bad) return unmet(`${bad.key}: Cache-Control ${JSON.stringify(header(bad, 'cache-control') ?? null)}`, 'send Cache-Control: no-store with every response carrying tokens');
    return pass(`no-store on ${xs.map((x) => x!.key).join(', ')}`);
  },
} satisfies Check;
