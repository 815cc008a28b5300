import { Hono } from 'hono';
import type { ProtectedResource } from '../config/resolve.js';
import { jsonResponse } from '../core/errors.js';
import type { AsContext } from '../as/context.js';
import { authorizationServerMetadata, metadataPaths } from '../as/endpoints/metadata/index.js';
import { authorizeEndpoint } from '../as/endpoints/authorize/index.js';
import { accountEndpoint } from '../as/endpoints/account/index.js';
import { interactionEndpoint } from '../as/endpoints/interaction/index.js';
import { federationOf, startUpstreamLogin, startUpstreamPageLogin, upstreamCallback } from '../as/federation/index.js';
import { createRegisterEndpoint } from '../as/endpoints/register/index.js';
import { introspectEndpoint } from '../as/endpoints/introspect/index.js';
import { revokedGrantsEndpoint } from '../as/endpoints/revoked-grants/index.js';
import { revokeEndpoint } from '../as/endpoints/revoke/index.js';
import { tokenEndpoint } from '../as/endpoints/token/index.js';
import { deviceAuthorizationEndpoint, deviceEndpoint, deviceSettings } from '../as/endpoints/device/index.js';
import { createUserinfoEndpoint } from '../as/oidc/userinfo.js';
import { errorPage } from '../as/pages/error.js';
import { prmHandler } from '../rs/metadata.js';
import { applyAsCors, asPreflight } from './cors.js';
import { clientAddressOf, installRateLimits } from './rate-limit.js';
import { ADMIN_API_PATH, createAdminApi } from '../admin/api/index.js';
import { CONSOLE_PATH, createAdminConsole } from '../admin/console/index.js';
import { AuditLog } from '../audit/index.js';
import { installOps, type OpsOptions } from './ops/index.js';

export interface Gateway {
  handle(req: Request, conn?: unknown): Promise<Response>;
}

/** The HTTP edge: routes to framework-free endpoint functions that take and return web Request/Response. */
export function createApp(ctx: AsContext, gateways: Map<string, Gateway>, ops?: OpsOptions): Hono {
  const { settings } = ctx;
  const app = new Hono();
  // issue 6: request ids, metrics, /healthz, /readyz (first, so they see every request)
  if (ops) installOps(app, ops);
  const base = settings.issuerPath;
  // issue 6 item 4: per-IP rate limits, ahead of the routes they guard
  installRateLimits(app, ctx);

  // RFC 8414 metadata and OIDC discovery (CORS-readable: browser clients discover too)
  const asMetadata = authorizationServerMetadata(settings);
  for (const path of metadataPaths(settings)) {
    app.on(['GET', 'HEAD'], path, (c) => applyAsCors(c.req.raw, settings, jsonResponse(asMetadata, 200, { 'cache-control': 'public, max-age=300' })));
  }

  // RFC 9728 protected resource metadata, path-inserted; the root form too when the resource is an origin.
  for (const r of settings.resources) {
    if (r.external) continue; // issue 11: served by the resource server itself (portcullis/resource-server)
    const handler = prmHandler(r, settings.issuer);
    app.all(r.metadataPath, (c) => handler(c.req.raw));
  }

  app.get(`${base}/jwks.json`, (c) => applyAsCors(c.req.raw, settings, jsonResponse(ctx.keys.jwks(), 200, { 'cache-control': 'public, max-age=60' })));
  app.all(`${base}/authorize`, (c) => authorizeEndpoint(ctx, c.req.raw));
  app.options(`${base}/token`, (c) => asPreflight(c.req.raw, settings));
  app.all(`${base}/token`, async (c) => applyAsCors(c.req.raw, settings, await tokenEndpoint(ctx, c.req.raw)));
  // RFC 7591, off by default (then no route: 404)
  const register = createRegisterEndpoint(ctx);
  if (register) {
    app.options(`${base}/register`, (c) => asPreflight(c.req.raw, settings));
    app.all(`${base}/register`, async (c) => applyAsCors(c.req.raw, settings, await register(c.req.raw, clientAddressOf(ctx, c).ip)));
  }
  app.get(`${base}/interaction/:id`, (c) => interactionEndpoint(ctx, c.req.raw, c.req.param('id'), 'show'));
  app.post(`${base}/interaction/:id/login`, (c) => interactionEndpoint(ctx, c.req.raw, c.req.param('id'), 'login'));
  app.post(`${base}/interaction/:id/consent`, (c) => interactionEndpoint(ctx, c.req.raw, c.req.param('id'), 'consent'));
  // issue 4 item 3: sign-in through an upstream OpenID Provider (a bad `login` section fails here, at start-up)
  federationOf(ctx);
  app.get(`${base}/interaction/:id/upstream/:idp`, (c) => startUpstreamLogin(ctx, c.req.raw, c.req.param('id'), c.req.param('idp')));
  app.get(`${base}/login/upstream/:idp`, (c) => startUpstreamPageLogin(ctx, c.req.raw, c.req.param('idp'))); // from /account, /admin, /device
  app.get(`${base}/login/callback/:idp`, (c) => upstreamCallback(ctx, c.req.raw, c.req.param('idp')));
  // RFC 7009 revocation (CORS like /token: browser clients revoke too); RFC 7662 introspection is server-to-server
  app.options(`${base}/revoke`, (c) => asPreflight(c.req.raw, settings));
  app.all(`${base}/revoke`, async (c) => applyAsCors(c.req.raw, settings, await revokeEndpoint(ctx, c.req.raw)));
  app.all(`${base}/introspect`, (c) => introspectEndpoint(ctx, c.req.raw));
  app.all(`${base}/revoked-grants`, (c) => revokedGrantsEndpoint(ctx, c.req.raw)); // issue 11: polled by embedded resource servers
  // OpenID Connect Core §5.3 UserInfo (CORS like /token: browser apps signing in read it too)
  const userinfo = createUserinfoEndpoint(ctx);
  app.options(`${base}/userinfo`, (c) => asPreflight(c.req.raw, settings));
  app.all(`${base}/userinfo`, async (c) => applyAsCors(c.req.raw, settings, await userinfo(c.req.raw)));
  // the user's "Connected apps" page
  app.get(`${base}/account`, (c) => accountEndpoint(ctx, c.req.raw, 'show'));
  app.post(`${base}/account/login`, (c) => accountEndpoint(ctx, c.req.raw, 'login'));
  app.post(`${base}/account/revoke`, (c) => accountEndpoint(ctx, c.req.raw, 'revoke'));
  app.post(`${base}/account/logout`, (c) => accountEndpoint(ctx, c.req.raw, 'logout'));
  // RFC 8628: the device authorization endpoint (CORS like /token) and the /device page where the user enters the code
  if (deviceSettings(settings.config).enabled) {
    app.options(`${base}/device_authorization`, (c) => asPreflight(c.req.raw, settings));
    app.all(`${base}/device_authorization`, async (c) => applyAsCors(c.req.raw, settings, await deviceAuthorizationEndpoint(ctx, c.req.raw)));
    app.get(`${base}/device`, (c) => deviceEndpoint(ctx, c.req.raw, 'show', c.env));
    app.post(`${base}/device`, (c) => deviceEndpoint(ctx, c.req.raw, 'enter', c.env));
    app.post(`${base}/device/login`, (c) => deviceEndpoint(ctx, c.req.raw, 'login', c.env));
    app.get(`${base}/device/approve`, (c) => deviceEndpoint(ctx, c.req.raw, 'approve-show', c.env));
    app.post(`${base}/device/approve`, (c) => deviceEndpoint(ctx, c.req.raw, 'approve', c.env));
  }

  // issue 3 item 7: the admin JSON API (no CORS: browsers use it same-origin, with the session and X-CSRF-Token)
  const audit = ctx.audit;
  const adminOptions = audit instanceof AuditLog ? { verifyAudit: () => audit.verify() } : {};
  const adminApi = createAdminApi(ctx, adminOptions);
  app.all(`${base}${ADMIN_API_PATH}/*`, (c) => adminApi(c.req.raw));
  // issue 8: the admin console (server-rendered pages; the API above keeps its paths)
  const adminConsole = createAdminConsole(ctx, adminOptions);
  app.all(`${base}${CONSOLE_PATH}`, (c) => adminConsole(c.req.raw));
  app.all(`${base}${CONSOLE_PATH}/*`, (c) => adminConsole(c.req.raw));

  for (const r of settings.resources) {
    const gw = gateways.get(r.id);
    if (gw) app.all(r.path, (c) => gw.handle(c.req.raw, c.env));
  }

  app.get(`${base}/`, () => jsonResponse(welcome(settings.issuer, settings.resources)));
  app.notFound(() => jsonResponse({ error: 'not_found' }, 404));
  app.onError((err) => {
    ctx.log.error({ err }, 'unhandled error');
    return errorPage(settings, 500, 'Something went wrong', 'The server could not complete the request. It has been logged.');
  });
  return app;
}

function welcome(issuer: string, resources: ProtectedResource[]): Record<string, unknown> {
  return {
    service: 'portcullis',
    issuer,
    authorization_server_metadata: `${new URL(issuer).origin}/.well-known/oauth-authorization-server${new URL(issuer).pathname.replace(/\/$/, '')}`,
    resources: resources.map((r) => ({ mcp_url: r.id, protected_resource_metadata: r.metadataUrl })),
  };
}
