import type { Check } from '../types.js';
import { challengeOf, one } from '../wire.js';
import { status } from './lib-login.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'gw.policy.insufficient-scope',
  level: 'SHOULD',
  source: 'MCP [AUTH] Scope Challenge Handling; RFC 6750 §3.1',
  title: 'a tool needing more scope gets 403 insufficient_scope with scope and resource_metadata',
  needs: ['login.step-up'],
  phase: 'login',
  evaluate(obs) {
    const x = one(obs, 'login.step-up');
    const s = x?.response?.status ?? 0;
    if (s >= 200 && s < 300) return skip('the initial token already allowed this tool: name one that needs more scope');
    const c = challengeOf(x);
    if (s !== 403 || c?.params.error !== 'insufficient_scope') return unmet(`the tool call got ${status(x)} error=${c?.params.error ?? '(none)'}`, 'answer 403 with WWW-Authenticate: Bearer error="insufficient_scope", scope=…, resource_metadata=…');
    const missing = ['scope', 'resource_metadata'].filter((p) => !c.params[p]);
    if (missing.length) return unmet(`the insufficient_scope challenge lacks ${missing.join(' and ')}`, 'name every scope the operation needs, and resource_metadata, so the client can step up');
    return pass(`403 insufficient_scope, scope="${c.params.scope}"`);
  },
} satisfies Check;
