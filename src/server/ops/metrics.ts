import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (issue 6 "Operations"), one Registry per runtime (never prom-client's global one, so several
 * runtimes in one process do not collide). Every label value is bounded: route templates (never raw paths),
 * OAuth error codes, fixed reason names, configured resource URLs.
 */
export interface Metrics {
  readonly registry: Registry;
  /** one HTTP request answered (route = the template that matched, or `unmatched`) */
  request(route: string, method: string, status: number, seconds: number): void;
  /** an access token issued at /token */
  tokenIssued(grantType: string): void;
  /** a refusal: `token.<oauth error>`, `gateway.<reason>`, `policy.<reason>` */
  denied(reason: string): void;
  /** a client-supplied URL fetched (CIMD document or its jwks_uri): ok, refused, invalid, error */
  cimdFetch(outcome: string): void;
  /** time to the upstream's response headers; status `error` when it could not be reached */
  upstream(resource: string, status: number | 'error', seconds: number): void;
  /** issue 7: a stdio upstream's child started, crashed (exited unasked), idle_stopped, evicted (max_children),
   *  refused (503: max_children reached, every child busy), spawn_failed */
  stdio(resource: string, event: StdioEvent): void;
  /** issue 7: where the number of a stdio upstream's running children is read at each scrape */
  stdioChildren(resource: string, running: () => number): void;
}

export type StdioEvent = 'started' | 'crashed' | 'idle_stopped' | 'evicted' | 'refused' | 'spawn_failed';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const GRANTS = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange']);
/** a label value from outside the code (e.g. a client's error code) is kept only when it is a short plain word */
const word = (v: string): string => (/^[a-z0-9_.:-]{1,64}$/i.test(v) ? v : 'other');

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const registers = [registry];
  const requests = new Counter({ name: 'portcullis_http_requests_total', help: 'HTTP requests answered, by route template, method and status', labelNames: ['route', 'method', 'status'] as const, registers });
  const duration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time to the response headers, by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const tokens = new Counter({ name: 'portcullis_tokens_issued_total', help: 'Access tokens issued, by grant type', labelNames: ['grant_type'] as const, registers });
  const denials = new Counter({ name: 'portcullis_denials_total', help: 'Refusals: token errors by OAuth error code, gateway 401/403 by reason, policy denials', labelNames: ['reason'] as const, registers });
  const cimd = new Counter({ name: 'portcullis_cimd_fetches_total', help: 'Client-supplied URL fetches (CIMD documents, their jwks_uri), by outcome', labelNames: ['outcome'] as const, registers });
  const upstream = new Histogram({
    name: 'portcullis_upstream_request_duration_seconds',
    help: "Time to the upstream MCP server's response headers, by resource and status",
    labelNames: ['resource', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const stdioEvents = new Counter({ name: 'portcullis_stdio_events_total', help: 'stdio upstream children: started, crashed, idle_stopped, evicted, refused (503), spawn_failed', labelNames: ['resource', 'event'] as const, registers });
  const childSources = new Map<string, () => number>();
  new Gauge({
    name: 'portcullis_stdio_children',
    help: 'stdio upstream children running now, by resource (this instance)',
    labelNames: ['resource'] as const,
    registers,
    collect() {
      for (const [resource, running] of childSources) this.set({ resource }, running());
    },
  });
  return {
    registry,
    request(route, method, status, seconds) {
      const m = METHODS.has(method) ? method : 'other';
      requests.inc({ route, method: m, status: String(status) });
      duration.observe({ route, method: m }, seconds);
    },
    tokenIssued: (grantType) => tokens.inc({ grant_type: GRANTS.has(grantType) ? grantType : 'other' }),
    denied: (reason) => denials.inc({ reason: word(reason) }),
    cimdFetch: (outcome) => cimd.inc({ outcome: word(outcome) }),
    upstream: (resource, status, seconds) => upstream.observe({ resource, status: String(status) }, seconds),
    stdio: (resource, event) => stdioEvents.inc({ resource, event }),
    stdioChildren: (resource, running) => void childSources.set(resource, running),
  };
}
