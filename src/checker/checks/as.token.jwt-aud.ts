import type { Check } from '../types.js';
import { issuedJwt } from './lib-login.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'as.token.jwt-aud',
  level: 'MUST',
  source: 'RFC 8707 §2; RFC 9068 §3; MCP [SEC] Token Audience Binding and Validation',
  title: "the issued JWT's aud is exactly the requested resource",
  needs: ['login.token', 'fact:login.resource'],
  phase: 'login',
  evaluate(obs) {
    const jwt = issuedJwt(obs);
    if (!jwt) return skip('the access token is not a JWT: its audience is not visible to a client (see rs.token.aud-exact)');
    const want = obs.facts['login.resource'];
    const aud = jwt.claims.aud;
    const ok = aud === want || (Array.isArray(aud) && aud.length === 1 && aud[0] === want);
    if (!ok) return unmet(`aud ${JSON.stringify(aud)}, requested resource ${JSON.stringify(want)}`, 'bind the token to the resource parameter: aud = that resource only');
    return pass(`aud "${want}"`);
  },
} satisfies Check;
