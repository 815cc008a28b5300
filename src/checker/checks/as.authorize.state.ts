import type { Check } from '../types.js';
import { one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.authorize.state',
  level: 'MUST',
  source: 'OAuth 2.1 §4.1.2; RFC 6749 §4.1.2',
  title: 'the authorization response echoes state exactly, once',
  needs: ['login.callback', 'fact:login.state'],
  phase: 'login',
  evaluate(obs) {
    const got = new URL(one(obs, 'login.callback')!.request.url).searchParams.getAll('state');
    if (got.length !== 1 || got[0] !== obs.facts['login.state']) return unmet(`state=${JSON.stringify(got)}, sent ${JSON.stringify(obs.facts['login.state'])}`, 'return the state parameter unchanged, once');
    return pass('state echoed');
  },
} satisfies Check;
