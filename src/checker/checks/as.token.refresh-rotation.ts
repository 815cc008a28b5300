import type { Check } from '../types.js';
import { jsonBody, one } from '../wire.js';
import { formParam, oauthError, status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.token.refresh-rotation',
  level: 'MUST',
  source: 'OAuth 2.1 §4.3.1; RFC 9700 §4.14.2; MCP [SEC] Token Theft',
  title: 'a refresh works and rotates the refresh token of a public client',
  needs: ['login.refresh'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.refresh');
    const body = jsonBody(x);
    if (x?.response?.status !== 200) return unmet(`refreshing the just-issued token answered ${status(x)} ${oauthError(x) ?? ''}`.trim(), 'accept refresh_token grants with the resource of the grant');
    if (typeof body?.access_token !== 'string') return unmet('the refresh returned no access_token', 'return a new access token');
    const sent = formParam(x, 'refresh_token');
    if (typeof body.refresh_token === 'string' && body.refresh_token !== sent) return pass('a new refresh token was issued');
    if (obs.facts['client.auth'] === 'secret') return pass('not rotated, but the client is confidential (its refresh tokens are bound by client authentication)');
    return unmet(typeof body.refresh_token === 'string' ? 'the same refresh token came back' : 'no new refresh token: the old one stays valid', 'rotate refresh tokens of public clients on every use (or sender-constrain them)');
  },
} satisfies Check;
