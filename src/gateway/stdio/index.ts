import { randomUUID } from 'node:crypto';
import type { ProtectedResource } from '../../config/resolve.js';
import type { AccessTokenClaims } from '../../rs/verify.js';
import { INVALID_REQUEST, SERVER_ERROR, jsonRpcErrorResponse, responseId, type ParsedBody } from '../jsonrpc.js';
import { createListFilter, listRequests } from '../list-filter.js';
import { policyFor } from '../policy.js';
import type { GatewayLog } from '../proxy.js';
import type { Metrics, StdioEvent } from '../../server/ops/metrics.js';
import type { SessionBindings } from '../sessions.js';
import type { JsonRpcMessage } from './child.js';
import { checkCwd, childEnvironment } from './env.js';
import { isModernRequest } from './era.js';
import { ChildPool, PoolFull } from './pool.js';
import { SpawnFailed } from './slot.js';

/**
 * issue 7 item 1: a stdio MCP server behind the gateway. The gateway terminates Streamable HTTP here: after the
 * proxy has authenticated the request and applied the tool policy (proxy.ts `route`, shared with HTTP
 * upstreams), the JSON-RPC messages go to the caller's own child process and its answers come back as JSON or
 * SSE (exchange.ts). Keys: `per: user` → the token's `sub`, so users never share a process and one user's
 * clients share theirs; `per: session` → a gateway-issued Mcp-Session-Id per legacy initialize, bound to the
 * subject like upstream sessions. Children live in this instance only.
 */
export interface StdioForwarder {
  forward(req: Request, claims: AccessTokenClaims, sessionId: string | null, parsed: ParsedBody | undefined): Promise<Response>;
  close(): Promise<void>;
  /** for tests and metrics: running children */
  readonly pool: ChildPool;
}

export interface StdioForwarderOptions {
  resource: ProtectedResource;
  /** index in settings.resources, for ConfigError option names */
  index: number;
  log: GatewayLog;
  sessions: SessionBindings;
  env?: NodeJS.ProcessEnv;
  /** children running, and their lifecycle events (server/ops/metrics.ts) */
  metrics?: Partial<Pick<Metrics, 'stdio' | 'stdioChildren'>>;
}

export function createStdioForwarder(opts: StdioForwarderOptions): StdioForwarder {
  const { resource, log, sessions } = opts;
  const cfg = resource.upstreamStdio!;
  const at = `resources[${opts.index}].upstream_stdio`;
  checkCwd(cfg.cwd, at);
  const spec = { command: cfg.command, args: cfg.args, cwd: cfg.cwd, env: childEnvironment(cfg, at, opts.env ?? process.env) };
  const policy = policyFor(resource);
  const perSession = cfg.per === 'session';
  const count = (event: StdioEvent): void => opts.metrics?.stdio?.(resource.id, event);
  /** per: session keys a 2026-07-28 client's child by its subject under this prefix (a session id is a bare UUID) */
  const USER = 'user:';
  const pool = new ChildPool({
    maxChildren: cfg.max_children,
    idleMs: cfg.idle_timeout_s * 1000,
    slotOptions: (key) => ({
      spec,
      log,
      // the key is a subject or a session id: neither is a credential, both help an operator find a child
      logContext: { resource: resource.id, ...(!perSession ? { sub: key } : key.startsWith(USER) ? { sub: key.slice(USER.length) } : { session: key }) },
      callTimeoutMs: cfg.call_timeout_s * 1000,
      lifecycle: count,
    }),
    onEvict: (slot, why) => {
      log.info({ resource: resource.id, pid: slot.pid, why }, 'stopping stdio server');
      count(why === 'idle' ? 'idle_stopped' : 'evicted');
    },
  });
  opts.metrics?.stdioChildren?.(resource.id, () => pool.running);

  async function forward(req: Request, claims: AccessTokenClaims, sessionId: string | null, parsed: ParsedBody | undefined): Promise<Response> {
    const sessionHeaders: Record<string, string> = sessionId ? { 'mcp-session-id': sessionId } : {};
    if (req.method === 'DELETE') {
      // MCP [HTTP] "Session Management": a server without sessions may answer 405
      if (!perSession || !sessionId) return jsonRpcErrorResponse(405, SERVER_ERROR, 'Method not allowed: no session to end', null, { allow: 'GET, POST' });
      sessions.delete(sessionId);
      await pool.remove(sessionId);
      return new Response(null, { status: 204 });
    }
    const accept = (req.headers.get('accept') ?? '').toLowerCase();
    const acceptsSse = accept.includes('text/event-stream');
    if (req.method === 'GET') {
      if (!acceptsSse) return jsonRpcErrorResponse(406, SERVER_ERROR, 'Not Acceptable: GET needs Accept: text/event-stream');
      if (perSession && !sessionId) return jsonRpcErrorResponse(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
      return pool.slot(perSession ? sessionId! : claims.sub).listen(req.signal, sessionHeaders);
    }
    if (parsed?.kind !== 'json') return jsonRpcErrorResponse(400, INVALID_REQUEST, 'Invalid Request: a JSON-RPC message is required');
    const messages = parsed.messages as JsonRpcMessage[];
    if (messages.length === 0 || messages.some((m) => m.jsonrpc !== '2.0')) return jsonRpcErrorResponse(400, INVALID_REQUEST, 'Invalid Request', responseId(parsed));

    let key = claims.sub;
    let newSession: string | undefined;
    if (perSession) {
      if (sessionId) key = sessionId;
      else if (messages.some((m) => m.method === 'initialize')) {
        // a legacy client's initialize starts its own child, under a session id bound to its subject
        newSession = randomUUID();
        sessions.bind(newSession, claims.sub);
        key = newSession;
        sessionHeaders['mcp-session-id'] = newSession;
      } else if (isModernRequest(req.headers.get('mcp-protocol-version'), messages[0]!)) {
        // issue 7 item 1: "the 2026-07-28 wire has no sessions" — per session is for legacy clients; a modern one
        // gets its subject's child, as with per: user
        key = `${USER}${claims.sub}`;
      } else {
        return jsonRpcErrorResponse(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required', responseId(parsed));
      }
    }
    const lists = listRequests(messages);
    try {
      return await pool.slot(key).dispatch(messages, {
        clientKey: `${claims.sub}\n${claims.client_id}`,
        protocolVersion: req.headers.get('mcp-protocol-version'),
        headers: req.headers,
        exchange: {
          acceptsSse,
          batch: parsed.batch,
          filter: lists.size > 0 ? createListFilter(lists, policy, claims.scope) : undefined,
          headers: sessionHeaders,
          signal: req.signal,
        },
      });
    } catch (e) {
      if (newSession) {
        sessions.delete(newSession);
        await pool.remove(newSession);
      }
      if (e instanceof PoolFull) {
        count('refused');
        log.warn({ resource: resource.id, sub: claims.sub, running: pool.running }, 'stdio server refused: max_children reached');
        return jsonRpcErrorResponse(503, SERVER_ERROR, 'Service unavailable: too many MCP server processes are running; retry later', responseId(parsed), { 'retry-after': '5' });
      }
      if (e instanceof SpawnFailed) {
        count('spawn_failed');
        return jsonRpcErrorResponse(502, SERVER_ERROR, 'Bad gateway: the MCP server could not be started', responseId(parsed));
      }
      throw e;
    }
  }

  return { forward, close: () => pool.close(), pool };
}
