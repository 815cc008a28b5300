import type { AsContext } from '../../as/context.js';
import { grantRevokedInStore, ownAccessTokenVerifier } from '../../as/own-token-verifier.js';
import { auditRoutes } from './audit.js';
import { authenticate } from './auth.js';
import { clientRoutes } from './clients.js';
import { grantRoutes } from './grants.js';
import { AdminError, errorResponse, json } from './http.js';
import { match, segmentsOf, type AdminDeps, type Route } from './router.js';
import { revocationRoutes } from './revocations.js';
import { sessionRoutes } from './session.js';
import { userRoutes } from './users.js';

/** path of the admin API below the issuer */
export const ADMIN_API_PATH = '/admin/api/v1';

const ROUTES: readonly Route[] = [...sessionRoutes, ...userRoutes, ...grantRoutes, ...revocationRoutes, ...clientRoutes, ...auditRoutes];

/**
 * The admin JSON API (issue 3 item 7) under `${issuer}/admin/api/v1/…`: framework-free Request → Response.
 * Authentication comes first (unauthenticated callers learn nothing about routes), then routing, then the handler.
 */
export function createAdminApi(ctx: AsContext, deps: AdminDeps = {}): (req: Request) => Promise<Response> {
  const base = `${ctx.settings.issuerPath}${ADMIN_API_PATH}`;
  const verifier = ownAccessTokenVerifier(ctx, grantRevokedInStore(ctx)); // revocation read from the store: immediate on every instance
  return async (req) => {
    try {
      const actor = await authenticate(ctx, verifier, req);
      const url = new URL(req.url);
      const segments = segmentsOf(url.pathname, base);
      const found = segments ? match(ROUTES, req.method, segments) : { kind: 'none' as const };
      if (found.kind === 'none') throw new AdminError(404, 'not_found', 'no such admin API endpoint');
      if (found.kind === 'method') throw new AdminError(405, 'invalid_request', `use ${found.allow.join(' or ')}`, { allow: found.allow.join(', ') });
      return await found.route.handler({ ctx, deps, req, url, actor, params: found.params });
    } catch (e) {
      if (e instanceof AdminError) return errorResponse(e);
      ctx.log.error({ err: e }, 'admin API failed');
      return json({ error: 'server_error', error_description: 'internal error' }, 500);
    }
  };
}

