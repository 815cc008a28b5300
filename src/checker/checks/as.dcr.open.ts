import type { Check } from '../types.js';
import { one } from '../wire.js';
import { pass, unmet } from './lib.js';

export default {
  id: 'as.dcr.open',
  level: 'SHOULD',
  source: 'MCP [REG] Dynamic Client Registration (deprecated); RFC 7591 §3; MCP [SEC]',
  title: 'no open (unauthenticated) dynamic client registration',
  needs: ['as.metadata'],
  evaluate(obs) {
    const x = one(obs, 'as.register.probe');
    if (!x) return pass('no registration_endpoint advertised');
    const status = x.response?.status ?? 0;
    if (status === 401 || status === 403) return pass(`registration requires authorization (${status})`);
    if (status === 201 || status === 400) {
      return unmet(`${x.request.url} answered an anonymous registration with ${status}: registration is open`, 'prefer CIMD; gate DCR with an initial access token or policy (RFC 7591 §3)');
    }
    return pass(`registration endpoint answered ${status || x.error}`);
  },
} satisfies Check;
