import type { Check } from '../types.js';
import { one, rpcMessage } from '../wire.js';
import { status } from './lib-login.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'rs.token.accepted',
  level: 'MUST',
  source: 'MCP [AUTH] Token Requirements; RFC 6750 §2.1',
  title: 'the MCP server accepts the access token its AS issued for it',
  needs: ['login.mcp'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.mcp');
    const s = x?.response?.status ?? 0;
    if (s < 200 || s >= 300) return unmet(`initialize with the issued token answered ${status(x)}`, 'accept tokens whose iss is your AS and whose aud is your canonical URL');
    const msg = rpcMessage(x);
    return pass(`${s}${msg ? (msg.result ? ' with a JSON-RPC result' : ' with a JSON-RPC error') : ''}`);
  },
} satisfies Check;
