import type { Check } from '../types.js';
import { all, one } from '../wire.js';
import { status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.revocation.gateway',
  level: 'SHOULD',
  source: 'RFC 7009 §2, §2.2; MCP [SEC] Token Theft',
  title: 'a revoked access token is refused by the MCP server within 5 s',
  needs: ['login.revoke'],
  phase: 'login',
  evaluate(obs) {
    const r = one(obs, 'login.revoke');
    if (r?.response?.status !== 200) return unmet(`the revocation request answered ${status(r)}`, 'answer revocation requests with 200 (RFC 7009 §2.2)');
    const after = all(obs, 'login.mcp.after-revoke');
    const last = after.at(-1);
    if (last?.response?.status !== 401) return unmet(`the revoked token still got ${status(last)} after ${after.length} tries`, 'check revocation at the resource server (introspection, a revocation list, or short-lived tokens)');
    return pass(`refused with 401 on try ${after.length} after revocation`);
  },
} satisfies Check;
