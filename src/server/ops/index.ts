import { randomUUID } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Config } from '../../config/schema.js';
import { jsonResponse } from '../../core/errors.js';
import { requestContext, type Logger } from '../../core/log.js';
import { peerAllowList, readiness, type ReadinessChecks } from './health.js';
import type { Metrics } from './metrics.js';

export { createMetrics, type Metrics } from './metrics.js';
export { readiness, peerAllowList, type ReadinessChecks, type ReadyReport } from './health.js';

export interface OpsOptions {
  config: Pick<Config, 'metrics'>;
  metrics: Metrics;
  log: Logger;
  checks: ReadinessChecks;
}

/** a client's own request id is kept when it is short and plain; otherwise one is generated */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

const peer = (env: unknown): string | undefined => (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

/**
 * Issue 6 "Operations", installed before every other route: request ids (x-request-id, bound to each log line
 * through requestContext), per-request metrics by route template, /healthz, /readyz and the metrics endpoint.
 */
export function installOps(app: Hono, opts: OpsOptions): void {
  const { metrics, log, checks } = opts;
  const observe: MiddlewareHandler = async (c, next) => {
    const inbound = c.req.header('x-request-id');
    const reqId = inbound !== undefined && REQUEST_ID.test(inbound) ? inbound : randomUUID();
    const started = performance.now();
    await requestContext.run({ reqId }, () => next());
    const seconds = (performance.now() - started) / 1000;
    const route = routeTemplate(c, observe);
    setHeader(c, 'x-request-id', reqId);
    if (checks.draining()) setHeader(c, 'connection', 'close');
    metrics.request(route, c.req.method, c.res.status, seconds);
    log.info({ event: 'http_request', method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000), req_id: reqId }, 'request');
  };
  app.use('*', observe);

  app.on(['GET', 'HEAD'], HEALTH_PATH, () => jsonResponse({ status: 'ok' }, 200, { 'cache-control': 'no-store' }));
  app.on(['GET', 'HEAD'], READY_PATH, async () => {
    const report = await readiness(checks);
    const { ready: _ready, ...body } = report;
    return jsonResponse(body, report.ready ? 200 : 503, { 'cache-control': 'no-store' });
  });

  const m = opts.config.metrics;
  if (m.enabled) {
    const allowed = peerAllowList(m.allow_from);
    app.get(m.path, async (c) => {
      // not for the public: token counts and usage are only for the configured peers (others see no such route)
      if (!allowed(peer(c.env))) return jsonResponse({ error: 'not_found' }, 404);
      return new Response(await metrics.registry.metrics(), { status: 200, headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } });
    });
  }
}

/** the route template that answered (bounded label values), `unmatched` for 404s that matched no route */
function routeTemplate(c: Parameters<MiddlewareHandler>[0], self: MiddlewareHandler): string {
  const r = matchedRoutes(c)[c.req.routeIndex];
  return r && r.handler !== self ? r.path : 'unmatched';
}

function setHeader(c: Parameters<MiddlewareHandler>[0], name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    // immutable headers (a Response from fetch): copy once
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}
