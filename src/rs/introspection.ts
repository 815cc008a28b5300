import { IssuerUnavailable, postForm } from './issuer.js';

/**
 * RFC 7662 token introspection as a resource server calls it: client_secret_basic (§2.1: the endpoint requires
 * authentication), and an answer that counts only when `active` is true, the audience contains this resource,
 * the issuer (when given) is ours and `exp` (when given) is in the future. Answers are remembered for at most
 * `cacheMs`, so a revocation is seen within that time.
 */

export interface IntrospectedToken {
  sub: string;
  client_id: string;
  scope: string[];
  exp: number | undefined;
  claims: Record<string, unknown>;
}

export type IntrospectionOutcome = { active: true; token: IntrospectedToken } | { active: false; reason: string };

export interface Introspector {
  introspect(token: string): Promise<IntrospectionOutcome>;
}

const MAX_CACHE = 10_000;

export function createIntrospector(o: {
  endpoint: () => Promise<string>;
  clientId: string;
  clientSecret: string;
  resource: string;
  issuer: string;
  cacheMs: number;
  skewSeconds: number;
  now?: () => number;
}): Introspector {
  const now = o.now ?? Date.now;
  const cache = new Map<string, { at: number; outcome: IntrospectionOutcome }>();
  const judge = (body: Record<string, unknown>): IntrospectionOutcome => {
    if (body.active !== true) return { active: false, reason: 'inactive' };
    // RFC 8707 / RFC 9068 §4 by analogy: a token for another resource is refused, and no audience is no token
    const aud = body.aud;
    const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
    if (!auds.includes(o.resource)) return { active: false, reason: auds.length ? 'wrong_audience' : 'no_audience' };
    if (body.iss !== undefined && body.iss !== o.issuer) return { active: false, reason: 'wrong_issuer' };
    const exp = typeof body.exp === 'number' ? body.exp : undefined;
    if (exp !== undefined && exp + o.skewSeconds <= Math.floor(now() / 1000)) return { active: false, reason: 'expired' };
    if (typeof body.sub !== 'string' || body.sub === '') return { active: false, reason: 'no_sub' };
    if (typeof body.client_id !== 'string' || body.client_id === '') return { active: false, reason: 'no_client_id' };
    const scope = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [];
    return { active: true, token: { sub: body.sub, client_id: body.client_id, scope, exp, claims: body } };
  };
  return {
    async introspect(token) {
      const hit = cache.get(token);
      if (hit && now() - hit.at < o.cacheMs) return hit.outcome;
      // a refusal of our own credentials is a configuration problem, never the token's fault: IssuerUnavailable
      const body = await postForm(await o.endpoint(), { id: o.clientId, secret: o.clientSecret }, { token, token_type_hint: 'access_token' }, 'introspection');
      if (typeof body !== 'object' || body === null) throw new IssuerUnavailable('introspection answer is not a JSON object');
      const outcome = judge(body as Record<string, unknown>);
      if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(token, { at: now(), outcome });
      return outcome;
    },
  };
}
