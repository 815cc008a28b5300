import type { Context, Hono, Next } from 'hono';
import type { AsContext } from '../as/context.js';
import { registrationSettings } from '../as/endpoints/register/index.js';
import { deviceSettings } from '../as/endpoints/device/settings.js';
import { tooManyRequestsPage } from '../as/pages/error.js';
import { rateLimitsOf, type ClientAddress, type LimitedEndpoint } from '../as/rate-limits/index.js';
import { oauthErrorResponse, RateLimitedError } from '../core/errors.js';
import { applyAsCors } from './cors.js';

/**
 * issue 6 item 4: per-IP limits at the edge, before any endpoint work (so a 429 changes nothing in the store).
 * JSON endpoints answer 429 `temporarily_unavailable` (core/errors.ts `rate_limited`) with CORS, so browser
 * clients can read it; pages answer a 429 page. Neither redirects: at /authorize the client is not validated yet.
 * Must be installed before the routes it guards. Per-client (/token) and per-user (login) limits live in those
 * endpoints, where the client and the username are known.
 */
export function installRateLimits(app: Hono, ctx: AsContext): void {
  const base = ctx.settings.issuerPath;
  const guard =
    (endpoint: LimitedEndpoint, answer: 'json' | 'html', methods?: readonly string[]) =>
    async (c: Context, next: Next): Promise<Response | void> => {
      if (c.req.method === 'OPTIONS' || (methods && !methods.includes(c.req.method))) return next();
      const limits = rateLimitsOf(ctx); // per request: a test or embedder may set ctx.rateLimits after start
      const client = limits.clientAddress(c.env, c.req.raw);
      const wait = await limits.ip(endpoint, client);
      if (wait === 0) return next();
      ctx.log.warn({ event: 'rate_limited', endpoint, ip: client.ip, retry_after: wait }, 'rate limit reached');
      ctx.metrics?.denied(`${endpoint}.rate_limited`);
      if (answer === 'html') return tooManyRequestsPage(ctx.settings, wait);
      return applyAsCors(c.req.raw, ctx.settings, oauthErrorResponse(new RateLimitedError(wait)));
    };
  app.use(`${base}/authorize`, guard('authorize', 'html'));
  app.use(`${base}/token`, guard('token', 'json'));
  if (registrationSettings(ctx.settings.config).enabled) app.use(`${base}/register`, guard('register', 'json', ['POST']));
  app.use(`${base}/interaction/:id/login`, guard('login', 'html', ['POST']));
  app.use(`${base}/account/login`, guard('login', 'html', ['POST']));
  app.use(`${base}/admin/login`, guard('login', 'html', ['POST']));
  // sign-in through an upstream IdP: the starts (authorization, pages) and the callback, which calls the IdP
  app.use(`${base}/interaction/:id/upstream/:idp`, guard('upstream_login', 'html'));
  app.use(`${base}/login/upstream/:idp`, guard('upstream_login', 'html'));
  app.use(`${base}/login/callback/:idp`, guard('upstream_login', 'html'));
  // RFC 8628 device authorization endpoint (the /device page's user codes are limited where they are checked)
  if (deviceSettings(ctx.settings.config).enabled) {
    app.use(`${base}/device_authorization`, guard('device', 'json', ['POST']));
    app.use(`${base}/device/login`, guard('login', 'html', ['POST']));
  }
}

/** The client address the rate limits use, for endpoints that log it (registration). */
export function clientAddressOf(ctx: AsContext, c: Context): ClientAddress {
  return rateLimitsOf(ctx).clientAddress(c.env, c.req.raw);
}
