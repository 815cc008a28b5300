import type { Check } from '../types.js';
import { jsonBody, one } from '../wire.js';
import { issuedJwt } from './lib-login.js';
import { pass, skip, unmet } from './lib.js';

const HOUR = 3600;

export default {
  id: 'as.token.lifetime',
  level: 'SHOULD',
  source: 'MCP [SEC] Token Theft; OAuth 2.1 §7.1; RFC 9700 §4.14',
  title: 'access tokens are short-lived (at most an hour)',
  needs: ['login.token'],
  phase: 'login',
  evaluate(obs) {
    const jwt = issuedJwt(obs);
    const { exp, iat } = jwt?.claims ?? {};
    const expiresIn = jsonBody(one(obs, 'login.token'))?.expires_in;
    const life = typeof exp === 'number' && typeof iat === 'number' ? exp - iat : typeof expiresIn === 'number' ? expiresIn : undefined;
    const from = jwt && typeof exp === 'number' ? 'exp - iat' : 'expires_in';
    if (life === undefined) return skip('neither exp/iat nor expires_in tells the lifetime');
    if (life > HOUR) return unmet(`${from} = ${life} s${life > 24 * HOUR ? ' (more than a day)' : ''}`, 'issue access tokens for minutes (e.g. 10), and use refresh tokens for longer sessions');
    return pass(`${from} = ${life} s`);
  },
} satisfies Check;
