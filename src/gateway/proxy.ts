import { controlDisabled } from '../core/controls.js';
import type { Agent, Dispatcher } from 'undici';
import { loadUndici, undiciIfLoaded } from '../net/undici-lazy.js';
import type { ProtectedResource, Settings } from '../config/resolve.js';
import { ConfigError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/time.js';
import { extractBearer } from '../rs/bearer.js';
import { rsErrorResponse } from '../rs/challenge.js';
import { TokenRejected, type AccessTokenClaims, type AccessTokenVerifier } from '../rs/verify.js';
import { isSmallJson, readCappedBody, streamUpstreamBody } from './body.js';
import { isPreflight, preflightResponse, withCors, ALLOW_METHODS } from './cors.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import {
  INTERNAL_ERROR,
  INVALID_REQUEST,
  PARSE_ERROR,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
  jsonRpcErrorResponse,
  parseJsonRpcBody,
  responseId,
  type ParsedBody,
} from './jsonrpc.js';
import { createOriginCheck } from './origin.js';
import { createListFilter, filterJson, filterSse, listRequests } from './list-filter.js';
import { HEADER_MISMATCH, headerMismatch } from './mcp-headers.js';
import { checkMessages, namedEntry, policyFor } from './policy.js';
import type { AuditLog } from '../audit/index.js';
import { SessionBindings } from './sessions.js';
import { createUpstreamIdentity, type UpstreamIdentity } from './identity.js';
import type { Metrics } from '../server/ops/metrics.js';
import { createStdioForwarder } from './stdio/index.js';

/** The logging the gateway needs; a pino logger fits. Tokens are never passed to it. */
export interface GatewayLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GatewayOptions {
  settings: Settings;
  resource: ProtectedResource;
  verifier: AccessTokenVerifier;
  log: GatewayLog;
  /** undici dispatcher for upstream requests; default a keep-alive Agent owned (and closed) by the gateway */
  dispatcher?: Dispatcher;
  clock?: Clock;
  /** largest POST body read for policy inspection; default 4 MiB */
  maxBodyBytes?: number;
  sessions?: { maxEntries?: number; ttlMs?: number };
  /** audit sink for tool calls (batched; ARCHITECTURE "Audit"); an AuditLog fits */
  audit?: Pick<AuditLog, 'recordBatched'>;
  /** issue 6: denials by reason (`gateway.*`, `policy.*`) and upstream latency, issue 7: stdio children; a runtime's Metrics fits */
  metrics?: Pick<Metrics, 'denied' | 'upstream'> & Partial<Pick<Metrics, 'stdio' | 'stdioChildren'>>;
  /** issue 7 item 3: identity headers for the upstream; default built from resource.identity (no signer, so no assertion) */
  identity?: UpstreamIdentity;
  /** issue 7 item 1: the env that stdio upstreams' env_from secrets are read from; default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * What the server adapter tells us about the connection. Structurally the bindings @hono/node-server passes as
 * the fetch callback's second argument, so `serve({ fetch: gateway.handle })` and `c.env` in a Hono app fit.
 */
export interface ConnectionInfo {
  incoming?: { socket?: { remoteAddress?: string | undefined } };
}

export interface Gateway {
  /** The MCP endpoint: any method, web-standard Request in, Response out (never throws). */
  handle(req: Request, conn?: ConnectionInfo): Promise<Response>;
  /** Close the owned upstream Agent (an injected dispatcher is left alone). */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const FORWARDED_METHODS = new Set(['GET', 'POST', 'DELETE']);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function createGateway(opts: GatewayOptions): Gateway {
  const { settings, resource, verifier, log } = opts;
  const denied = (reason: string): void => opts.metrics?.denied(reason);
  if (!resource.upstream && !resource.upstreamStdio) throw new ConfigError('resources[].upstream', `resource ${resource.id} has no upstream to proxy to`);
  // issue 7 item 1: a stdio upstream is served by stdio/ after the same checks (`route` hands over); its URL is unused
  const upstream = new URL(resource.upstream ?? 'stdio:');
  upstream.hash = '';
  const publicUrl = new URL(resource.id);
  const clock = opts.clock ?? systemClock;
  const index = settings.resources.indexOf(resource);
  const identity = opts.identity ?? createUpstreamIdentity(resource, index, { issuer: settings.issuer, clock });
  const maxBody = opts.maxBodyBytes ?? 4 * MIB;
  // issue 9: undici (about 1 MB of code) loads at the first upstream request, not during start-up
  let ownedAgent: Agent | undefined;
  let dispatcher: Dispatcher | undefined = opts.dispatcher;
  const upstreamDispatcher = (u: typeof import('undici')): Dispatcher =>
    // bodyTimeout 0: an SSE stream may stay quiet for long; headersTimeout covers slow JSON-mode tool calls
    (dispatcher ??= ownedAgent = new u.Agent({ keepAliveTimeout: 10_000, headersTimeout: 300_000, bodyTimeout: 0, connect: { timeout: 10_000 } }));
  const originAllowed = createOriginCheck({
    allowedOrigins: settings.config.cors.allowed_origins,
    dev: settings.dev,
    issuer: settings.issuer,
  });
  const sessions = new SessionBindings({
    maxEntries: opts.sessions?.maxEntries ?? 10_000,
    ttlMs: opts.sessions?.ttlMs ?? 24 * 3600_000,
    clock,
  });
  const stdio = resource.upstreamStdio
    ? createStdioForwarder({ resource, index, log, sessions, ...(opts.env ? { env: opts.env } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) })
    : undefined;
  const ctx = { resource: resource.id };
  const policy = policyFor(resource);
  const challengeBase = { resourceMetadataUrl: resource.metadataUrl, scope: resource.scopes };

  async function route(req: Request, conn: ConnectionInfo | undefined, origin: string | null): Promise<Response> {
    if (isPreflight(req)) return preflightResponse(origin!);
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow: ALLOW_METHODS } });
    if (!FORWARDED_METHODS.has(req.method)) {
      return jsonRpcErrorResponse(405, SERVER_ERROR, 'Method not allowed', null, { allow: ALLOW_METHODS });
    }

    // MCP "Token Requirements" / RFC 6750 §2.1: header only; query and form tokens are refused.
    const bearer = extractBearer(req);
    if (bearer.kind === 'none') {
      denied('gateway.no_credentials');
      return rsErrorResponse({ kind: 'no_credentials', ...challengeBase });
    }
    if (bearer.kind === 'invalid') {
      log.info({ ...ctx, reason: bearer.reason }, 'bearer request refused');
      denied('gateway.invalid_request');
      return rsErrorResponse({ kind: 'invalid_request', resourceMetadataUrl: resource.metadataUrl, description: bearer.description });
    }

    // [SEC] "Access Token Privilege Restriction": validate before processing anything.
    let claims: AccessTokenClaims;
    try {
      claims = await verifier.verify(bearer.token, resource.id);
    } catch (e) {
      if (!(e instanceof TokenRejected)) throw e;
      // the reason is logged, never sent (ARCHITECTURE "Two error channels")
      log.warn({ ...ctx, reason: e.reason, detail: e.detail }, 'access token rejected');
      denied('gateway.invalid_token');
      return rsErrorResponse({ kind: 'invalid_token', ...challengeBase, description: 'The access token is invalid' });
    }
    const who = { ...ctx, sub: claims.sub, client_id: claims.client_id };

    const sessionId = req.headers.get('mcp-session-id');
    if (sessionId !== null && sessions.owner(sessionId) !== claims.sub && !controlDisabled('gw.session-binding')) {
      // unknown, expired, or another subject's: answered like an unknown session, never forwarded
      // usually a session the client already deleted or that expired; another subject's is logged the same way
      log.info(who, 'legacy session unknown or bound to another subject');
      return jsonRpcErrorResponse(404, SESSION_NOT_FOUND, 'Session not found');
    }

    let body: Uint8Array | undefined;
    let parsed: ParsedBody | undefined;
    if (req.method === 'POST') {
      const read = await readCappedBody(req, controlDisabled('gw.body-cap') ? Number.MAX_SAFE_INTEGER : maxBody);
      if (read === 'too_large') return jsonRpcErrorResponse(413, INVALID_REQUEST, `Request body larger than ${maxBody} bytes`);
      body = read;
      parsed = parseJsonRpcBody(read);
      if (parsed.kind === 'invalid') return jsonRpcErrorResponse(400, PARSE_ERROR, 'Parse error');
      if (parsed.kind === 'json') {
        const mismatch = controlDisabled('gw.header-mismatch') ? null : headerMismatch(req.headers, parsed.messages, parsed.batch);
        if (mismatch) {
          log.info({ ...who, reason: mismatch }, 'request refused: header mismatch');
          return jsonRpcErrorResponse(400, HEADER_MISMATCH, `HeaderMismatch: ${mismatch}`, responseId(parsed));
        }
        const decision = controlDisabled('gw.scope-policy') ? ({ allow: true } as const) : checkMessages(parsed.messages, { resource, scopes: claims.scope });
        auditCalls(parsed.messages, claims, decision);
        if (!decision.allow && decision.forbidden) {
          log.info({ ...who, denied: decision.denied }, 'request refused: not permitted by policy');
          denied('policy.forbidden');
          return jsonRpcErrorResponse(403, SERVER_ERROR, 'Forbidden: not permitted by the gateway policy', responseId(parsed));
        }
        if (!decision.allow) {
          log.info({ ...who, denied: decision.denied }, 'request refused: insufficient scope');
          denied('policy.insufficient_scope');
          return rsErrorResponse({
            kind: 'insufficient_scope',
            scope: decision.requiredScopes,
            resourceMetadataUrl: resource.metadataUrl,
            description: 'The access token lacks a scope this request needs',
          });
        }
      }
    }

    // issue 7 item 1: a stdio child gets the parsed messages, never the bytes
    if (stdio) return stdio.forward(req, claims, sessionId, parsed);
    // Forward exactly what the policy saw: re-serialised JSON, so an upstream parser that treats duplicate
    // keys differently from JSON.parse cannot be shown another tool name than the one we checked.
    if (parsed?.kind === 'json') body = Buffer.from(JSON.stringify(parsed.value), 'utf8');
    return forward(req, conn, claims, sessionId, body, parsed);
  }

  async function forward(
    req: Request,
    conn: ConnectionInfo | undefined,
    claims: AccessTokenClaims,
    sessionId: string | null,
    body: Uint8Array | undefined,
    parsed: ParsedBody | undefined,
  ): Promise<Response> {
    const target = upstreamTarget(upstream, new URL(req.url).search);
    let up: Dispatcher.ResponseData;
    const started = performance.now();
    const took = (): number => (performance.now() - started) / 1000;
    try {
      const u = undiciIfLoaded() ?? (await loadUndici());
      up = await u.request(target, {
        method: req.method as Dispatcher.HttpMethod,
        headers: {
          ...upstreamRequestHeaders(
            req.headers,
            upstream,
            { for: conn?.incoming?.socket?.remoteAddress, proto: publicUrl.protocol.slice(0, -1), host: publicUrl.host },
            identity.strip,
          ),
          ...(await identity.headers(claims)),
        },
        body: body && body.byteLength > 0 ? body : undefined,
        dispatcher: upstreamDispatcher(u),
        signal: req.signal, // client gone → upstream request aborted
      });
      opts.metrics?.upstream(resource.id, up.statusCode, took());
    } catch (e) {
      opts.metrics?.upstream(resource.id, 'error', took());
      if (req.signal.aborted) return new Response(null, { status: 499 }); // nobody is listening
      log.warn({ ...ctx, err: errorSummary(e) }, 'upstream unreachable');
      return jsonRpcErrorResponse(502, SERVER_ERROR, 'Bad gateway: the MCP server is unavailable', responseId(parsed));
    }

    const headers = downstreamResponseHeaders(up.headers);
    // Legacy sessions (≤ 2025-11-25): bind the id the upstream hands out to this token's subject.
    const issued = headers.get('mcp-session-id');
    if (issued !== null && !sessions.bind(issued, claims.sub)) {
      log.error({ ...ctx, sub: claims.sub }, 'upstream issued a session id bound to another subject');
      discard(up.body);
      return jsonRpcErrorResponse(502, SERVER_ERROR, 'Bad gateway: conflicting session', responseId(parsed));
    }
    const ok = up.statusCode >= 200 && up.statusCode < 300;
    if (sessionId !== null && ((req.method === 'DELETE' && ok) || up.statusCode === 404)) sessions.delete(sessionId);

    if (NULL_BODY_STATUSES.has(up.statusCode)) {
      discard(up.body);
      return new Response(null, { status: up.statusCode, headers });
    }
    // List responses show only what the token may use (JSON read whole; SSE rewritten event by event).
    const lists = parsed?.kind === 'json' ? listRequests(parsed.messages) : new Map<string, string>();
    // issue 9: a small JSON answer of declared length is relayed as one buffer, without web streams
    if (lists.size === 0 && isSmallJson(up.headers)) {
      try {
        return new Response(Buffer.from(await up.body.arrayBuffer()), { status: up.statusCode, headers });
      } catch (e) {
        if (req.signal.aborted) return new Response(null, { status: 499 });
        log.warn({ ...ctx, err: errorSummary(e) }, 'upstream response body failed');
        return jsonRpcErrorResponse(502, SERVER_ERROR, 'Bad gateway: the MCP server response failed', responseId(parsed));
      }
    }
    const stream = streamUpstreamBody(up.body, (e) => {
      if (!req.signal.aborted) log.warn({ ...ctx, err: errorSummary(e) }, 'upstream response body failed');
    });
    if (lists.size > 0 && ok && !controlDisabled('gw.scope-policy')) {
      const filter = createListFilter(lists, policy, claims.scope);
      const type = (headers.get('content-type') ?? '').toLowerCase();
      if (type.startsWith('text/event-stream')) return new Response(stream.pipeThrough(filterSse(filter)), { status: up.statusCode, headers });
      if (type.startsWith('application/json')) {
        const bytes = filterJson(new Uint8Array(await new Response(stream).arrayBuffer()), filter);
        headers.delete('content-length');
        return new Response(Buffer.from(bytes), { status: up.statusCode, headers });
      }
    }
    return new Response(stream, { status: up.statusCode, headers });
  }

  /** every named call (tools/call, prompts/get, resources/read…) goes to the audit log, allowed or denied */
  function auditCalls(messages: readonly Record<string, unknown>[], claims: AccessTokenClaims, decision: ReturnType<typeof checkMessages>): void {
    if (!opts.audit) return;
    const actor = { user_id: claims.sub, client_id: claims.client_id };
    for (const msg of messages) {
      const entry = namedEntry(msg);
      if (!entry || entry.name === undefined) continue;
      const data = { resource: resource.id, tool: entry.name, method: entry.method, jti: claims.jti, scope: [...claims.scope] };
      const denied = decision.allow ? undefined : decision.denied.find((d) => d.method === entry.method && d.name === entry.name);
      if (decision.allow) opts.audit.recordBatched('tool.allowed', data, actor);
      else if (denied) opts.audit.recordBatched('tool.denied', { ...data, reason: denied.forbidden ? 'not permitted by policy' : 'insufficient_scope', ...(denied.scopes[0] ? { required_scope: denied.scopes[0] } : {}) }, actor);
      else opts.audit.recordBatched('tool.denied', { ...data, reason: 'another message in the batch was refused' }, actor);
    }
  }

  return {
    async handle(req, conn) {
      const origin = req.headers.get('origin');
      // MCP [HTTP] "Security Warning": validate Origin; an invalid one gets 403 (preflights included).
      if (origin !== null && !controlDisabled('gw.origin') && !originAllowed(origin)) {
        log.warn({ ...ctx, origin }, 'origin refused');
        denied('gateway.origin_refused');
        return withCors(jsonRpcErrorResponse(403, SERVER_ERROR, 'Forbidden: origin not allowed'), null);
      }
      try {
        return withCors(await route(req, conn, origin), origin);
      } catch (e) {
        log.error({ ...ctx, err: errorSummary(e) }, 'gateway failure');
        return withCors(jsonRpcErrorResponse(503, INTERNAL_ERROR, 'Service temporarily unavailable'), origin);
      }
    },
    async close() {
      await ownedAgent?.close();
      await stdio?.close();
    },
  };
}

/** The upstream URL with the client's query string appended (path is the upstream's, as configured). */
function upstreamTarget(upstream: URL, search: string): string {
  if (!search) return upstream.href;
  return upstream.search ? `${upstream.href}&${search.slice(1)}` : `${upstream.href}${search}`;
}

function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** Enough to diagnose, without stack traces or request data. */
function errorSummary(e: unknown): { name?: string; code?: string; message: string } {
  if (!(e instanceof Error)) return { message: String(e) };
  const cause = (e as { cause?: unknown }).cause;
  const code = (e as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return { name: e.name, code: typeof code === 'string' ? code : undefined, message: e.message };
}
