import type { MiddlewareHandler } from 'hono';
import type { Identity, ResourceServer, SdkAuthInfo } from '../protect.js';

/**
 * Hono middleware (also any web-standard host). Serves the metadata document, refuses what must be refused, and
 * otherwise sets `c.var.auth` (the SDK's AuthInfo: pass it to the SDK's WebStandardStreamableHTTPServerTransport
 * as `handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: c.var.parsedBody })`), `c.var.portcullis`
 * (the identity) and `c.var.parsedBody` (the JSON the policy checked). The core reads a clone, so
 * `c.req.raw` stays readable.
 *
 *   app.use('*', portcullisHono(rs));
 */
export type PortcullisVariables = { auth: SdkAuthInfo; portcullis: Identity; parsedBody: unknown };

export function portcullisHono(rs: ResourceServer): MiddlewareHandler<{ Variables: PortcullisVariables }> {
  return async (c, next) => {
    const prm = rs.prm(c.req.raw);
    if (prm) return prm;
    const verdict = await rs.handle(c.req.raw.clone());
    if (!verdict.ok) return verdict.response;
    c.set('auth', verdict.authInfo);
    c.set('portcullis', verdict.identity);
    c.set('parsedBody', verdict.parsedBody);
    await next();
  };
}
