import type { Check } from '../types.js';
import { issuedJwt } from './lib-login.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.token.jwt-profile',
  level: 'MUST',
  source: 'RFC 9068 §2.1, §2.2',
  title: 'a JWT access token is typed at+jwt and carries iss, exp, iat, sub, client_id, jti',
  needs: ['login.token'],
  phase: 'login',
  evaluate(obs) {
    const jwt = issuedJwt(obs);
    if (!jwt) return skip('the access token is not a JWT (opaque tokens are fine; RFC 9068 does not apply)');
    const typ = String(jwt.header.typ ?? '');
    if (!/^(application\/)?at\+jwt$/i.test(typ)) return unmet(`typ ${JSON.stringify(jwt.header.typ ?? null)}`, 'set the JWT header typ to "at+jwt" so it cannot be confused with an ID token');
    const issuer = asMeta(obs)?.issuer ?? obs.facts.issuer;
    if (jwt.claims.iss !== issuer) return unmet(`iss ${JSON.stringify(jwt.claims.iss)}, issuer ${JSON.stringify(issuer)}`, 'set iss to the AS issuer exactly');
    const missing = ['exp', 'iat', 'sub', 'client_id', 'jti'].filter((c) => jwt.claims[c] === undefined);
    if (missing.length) return unmet(`missing claims: ${missing.join(', ')}`, 'include every RFC 9068 §2.2 claim');
    return pass(`typ ${typ}, iss, exp, iat, sub, client_id, jti`);
  },
} satisfies Check;
