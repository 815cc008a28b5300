import type { Check } from '../types.js';
import { header, jsonBody, one } from '../wire.js';
import { status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.token.response',
  level: 'MUST',
  source: 'OAuth 2.1 §3.2.3; RFC 6750 §4; MCP [AUTH] Token Requirements',
  title: 'the code exchange answers 200 application/json with access_token and token_type Bearer',
  needs: ['login.token'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.token');
    const body = jsonBody(x);
    if (x?.response?.status !== 200) return unmet(`the code exchange answered ${status(x)}${body?.error ? ` (${String(body.error)})` : ''}`, 'redeem a valid code with PKCE and resource: 200 with the tokens');
    if (!/^application\/json/i.test(header(x, 'content-type') ?? '') || !body) return unmet(`Content-Type ${header(x, 'content-type') ?? '(none)'}`, 'answer with Content-Type: application/json');
    if (typeof body.access_token !== 'string' || !body.access_token) return unmet('no access_token', 'return access_token');
    if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') return unmet(`token_type ${JSON.stringify(body.token_type)}`, 'return token_type "Bearer"');
    const exp = typeof body.expires_in === 'number' ? `, expires_in ${body.expires_in}` : ', no expires_in (recommended)';
    return pass(`200 Bearer${exp}${typeof body.refresh_token === 'string' ? ', with a refresh token' : ''}`);
  },
} satisfies Check;
