import type { Check } from '../types.js';
import { one } from '../wire.js';
import { status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.token.aud-exact',
  level: 'MUST',
  source: 'RFC 8707 §2; RFC 9068 §4; MCP [SEC] Token Audience Binding and Validation',
  title: 'the MCP server refuses a valid token issued for another resource',
  needs: ['login.mcp.other-audience'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.mcp.other-audience');
    const s = x?.response?.status ?? 0;
    if (s >= 200 && s < 300) return unmet(`a token for another resource was accepted (${s})`, 'refuse tokens whose aud is not exactly this server\'s canonical URL (401 invalid_token)');
    if (s !== 401) return unmet(`a token for another resource got ${status(x)}, expected 401`, 'answer 401 error="invalid_token"');
    return pass('401 for a token of another resource');
  },
} satisfies Check;
