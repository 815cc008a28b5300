import { IssuerUnavailable } from './issuer.js';

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

const TIMEOUT_MS = 5000;
const MAX_CACHE = 10_000;

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before they are joined for Basic */
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

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
      const endpoint = await o.endpoint();
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: basic(o.clientId, o.clientSecret), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
          redirect: 'error',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (e) {
        throw new IssuerUnavailable(`introspection failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      const text = await res.text();
      // our own credentials were refused: a configuration problem, never the token's fault
      if (res.status !== 200) throw new IssuerUnavailable(`introspection answered ${res.status}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new IssuerUnavailable('introspection answer is not JSON');
      }
      if (typeof body !== 'object' || body === null) throw new IssuerUnavailable('introspection answer is not a JSON object');
      const outcome = judge(body as Record<string, unknown>);
      if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(token, { at: now(), outcome });
      return outcome;
    },
  };
}
