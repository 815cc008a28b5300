import type { GatewayLog } from '../proxy.js';
import { StdioChild, type ChildSpec, type JsonRpcMessage } from './child.js';
import { Exchange, type ExchangeOptions } from './exchange.js';
import { Listener } from './listener.js';
import { LegacyHandshake } from './handshake.js';
import { discoverProbe, eraOf, isModernRequest, legacyOnlyResponse } from './era.js';
import { LISTEN, LISTEN_KEEP_ALIVE_MS, checkModernRequest, childRequestRefusal, modernStatus, routeModernNotification, wantsLogs, withSubscriptionId } from './modern.js';

/**
 * One user's (or one legacy session's) stdio MCP server: the running child if any, and the bookkeeping that lets
 * several HTTP requests share its single stdin/stdout.
 *
 * - Request ids are rewritten to ids unique on this child (two clients of one user both start at id 0) and
 *   restored on the way back; server-to-client request ids likewise, so a client's answer (a later POST) finds
 *   the child request it answers.
 * - Messages that are not responses go to the request they relate to (progress by progressToken), else to the
 *   oldest in-flight request that streams, else to an open GET stream; list_changed and resources/updated prefer
 *   GET streams. A server request nobody can answer gets a JSON-RPC error at once, never a hang.
 * - Lifecycle: the 2026-07-28 stdio binding is stateless, so modern requests go through as they are to a modern
 *   child (a legacy child answers them 400, see era.ts), after the HTTP-layer checks of modern.ts. A modern child's
 *   listen-stream messages go to the `subscriptions/listen` request named by their subscription id, logs only to a
 *   request that asked for them, and its own requests (forbidden in 2026-07-28) to nobody. A legacy server's
 *   `initialize` handshake is handshake.ts's.
 * - The child exiting answers every pending request with a JSON-RPC error; the next request starts a new child.
 * - A client that goes away has its in-flight requests cancelled on the child (`notifications/cancelled`).
 */

export const SERVER_ERROR = -32000;
export const REQUEST_TIMEOUT = -32001; // as the MCP TypeScript SDK reports a timed-out request

export interface SlotOptions {
  key: string;
  spec: ChildSpec;
  log: GatewayLog;
  logContext: Record<string, unknown>;
  callTimeoutMs: number;
  /** asked before a child starts: may stop another idle child, or throw PoolFull */
  reserve(slot: Slot): void;
  /** told when a child exits */
  released(slot: Slot): void;
  /** a child started, or exited without being asked to (metrics) */
  lifecycle?(event: 'started' | 'crashed'): void;
}

export interface DispatchContext {
  /** who sent it: cancellations are matched per client (sub + client_id) */
  clientKey: string;
  /** the MCP-Protocol-Version header, if any */
  protocolVersion: string | null;
  /** the request's headers, for the 2026-07-28 header checks (modern.ts) */
  headers: Headers;
  exchange: Omit<ExchangeOptions, 'expected' | 'onGone'>;
}

interface Pending {
  originalId: string | number;
  method: string;
  clientKey: string;
  exchange: Exchange;
  progressToken: unknown;
  timer: NodeJS.Timeout | undefined;
  message: JsonRpcMessage;
  /** a modern `subscriptions/listen`: open until the client leaves or the child ends it */
  listen: boolean;
  /** a modern request with `_meta.io.modelcontextprotocol/logLevel`: may receive notifications/message */
  logs: boolean;
}

export class SpawnFailed extends Error {}

export class Slot {
  readonly key: string;
  lastUsed = Date.now();
  readonly #opts: SlotOptions;
  #child: StdioChild | null = null;
  #starting: Promise<StdioChild> | null = null;
  /** children of this slot being stopped (idle, eviction, shutdown): a later stop() waits for them too */
  readonly #stopping = new Set<Promise<void>>();
  readonly #handshake = new LegacyHandshake();
  /** the current child's era, once probed (era.ts) */
  #era: Promise<'modern' | 'legacy'> | null = null;
  /** the current child answered the probe as a 2026-07-28 server */
  #modern = false;
  #nextId = 1;
  #nextServerId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #serverRequests = new Map<number, string | number>();
  readonly #listeners = new Set<Listener>();
  #handshakeWaiters = new Map<string, (msg: JsonRpcMessage | null) => void>();
  /** streams whose client reads slower than the child writes; the child's stdout is held while any is full */
  readonly #full = new Set<object>();
  readonly #backpressure = {
    full: (stream: object) => {
      if (this.#full.size === 0) this.#child?.pause();
      this.#full.add(stream);
    },
    drained: (stream: object) => {
      if (this.#full.delete(stream) && this.#full.size === 0) this.#child?.resume();
    },
  };

  constructor(opts: SlotOptions) {
    this.key = opts.key;
    this.#opts = opts;
  }

  get running(): boolean {
    return this.#child !== null || this.#starting !== null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** requests in flight or streams open: not idle */
  get busy(): boolean {
    return this.#pending.size > 0 || this.#listeners.size > 0 || this.#starting !== null || this.#handshake.running;
  }

  /** Forward a POST's messages; resolves with its HTTP answer. */
  async dispatch(messages: JsonRpcMessage[], ctx: DispatchContext): Promise<Response> {
    this.lastUsed = Date.now();
    const child = await this.#ensureChild();
    const requests = messages.filter((m) => typeof m.method === 'string' && m.id !== undefined && m.id !== null);
    for (const m of messages) {
      if (typeof m.method === 'string' && (m.id === undefined || m.id === null)) this.#clientNotification(child, m, ctx.clientKey);
      else if (typeof m.method !== 'string') this.#clientResponse(child, m);
    }
    if (requests.length === 0) return new Response(null, { status: 202 });
    let modern = false;
    if (isModernRequest(ctx.protocolVersion, requests[0]!)) {
      this.#era ??= this.#ask(discoverProbe(`portcullis-discover-${this.#nextId++}`), Math.min(this.#opts.callTimeoutMs, 5000)).then(eraOf);
      const singleId = ctx.exchange.batch ? null : (requests[0]!.id as string | number);
      if ((await this.#era) === 'legacy') return legacyOnlyResponse(singleId);
      this.#modern = true;
      const refused = checkModernRequest(ctx.headers, requests, ctx.exchange, singleId);
      if (refused) return refused;
      modern = true;
    }

    if (requests[0]!.method !== 'initialize') await this.#handshake.ensure(ctx.protocolVersion, (init, done) => this.#replayInitialize(init, done));
    const listen = modern && requests[0]!.method === LISTEN;
    const exchange = new Exchange({
      ...ctx.exchange,
      backpressure: this.#backpressure,
      expected: requests.length,
      onGone: () => this.#cancelExchange(exchange, 'client disconnected'),
      ...(modern ? { status: modernStatus } : {}),
      ...(listen ? { keepAliveMs: LISTEN_KEEP_ALIVE_MS } : {}),
    });
    for (const m of requests) {
      const id = this.#nextId++;
      const params = m.params as { _meta?: { progressToken?: unknown } } | undefined;
      const pending: Pending = {
        originalId: m.id as string | number,
        method: m.method as string,
        clientKey: ctx.clientKey,
        exchange,
        progressToken: params?._meta?.progressToken,
        message: m,
        // a subscription lasts as long as the client wants it: call_timeout_s is for calls
        timer: listen ? undefined : setTimeout(() => this.#timeout(id), this.#opts.callTimeoutMs),
        listen,
        logs: modern && wantsLogs(m),
      };
      this.#pending.set(id, pending);
      if (!this.#child?.send({ ...m, id })) this.#fail(id, 'The MCP server is not running');
    }
    return exchange.response;
  }

  /** A GET stream for messages related to no request. */
  listen(signal: AbortSignal, headers: Record<string, string>): Response {
    this.lastUsed = Date.now();
    const l: Listener = new Listener(
      signal,
      headers,
      () => {
        this.#listeners.delete(l);
        this.lastUsed = Date.now();
      },
      this.#backpressure,
    );
    this.#listeners.add(l);
    return l.response;
  }

  /** Stop the child (idle, evicted, DELETE, shutdown); pending requests get errors. */
  async stop(graceMs = 2000): Promise<void> {
    const child = this.#child ?? (await this.#starting?.catch(() => null)) ?? null;
    if (child) {
      // detached at once: a request arriving meanwhile starts a fresh child instead of meeting a dying one
      this.#detach(child, { code: null, signal: null }, true);
      const stopping = child.stop(graceMs);
      this.#stopping.add(stopping);
      const forget = (): void => void this.#stopping.delete(stopping);
      stopping.then(forget, forget);
    }
    // a stop already under way (an idle stop racing shutdown) is waited for: close() returns with every child gone
    await Promise.all(this.#stopping);
  }

  async #ensureChild(): Promise<StdioChild> {
    if (this.#child) return this.#child;
    this.#starting ??= this.#start().finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(): Promise<StdioChild> {
    this.#opts.reserve(this);
    const { log, logContext } = this.#opts;
    let child: StdioChild;
    try {
      child = await StdioChild.start({
        spec: this.#opts.spec,
        log,
        logContext,
        onMessage: (msg) => this.#fromChild(msg),
        onExit: (info) => this.#detach(child, info, false),
      });
    } catch (e) {
      this.#opts.released(this);
      log.error({ ...logContext, err: { code: (e as { code?: string }).code, message: (e as Error).message } }, 'stdio server could not be started');
      throw new SpawnFailed('spawn failed');
    }
    this.#child = child;
    this.#handshake.reset();
    log.info({ ...logContext, pid: child.pid }, 'stdio server started');
    this.#opts.lifecycle?.('started');
    return child;
  }

  #detach(child: StdioChild, info: { code: number | null; signal: string | null }, expected: boolean): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.#handshake.reset();
    this.#era = null;
    this.#modern = false;
    this.#full.clear();
    this.#opts.log[expected ? 'info' : 'warn']({ ...this.#opts.logContext, pid: child.pid, ...(expected ? {} : info) }, expected ? 'stdio server stopped' : 'stdio server exited');
    if (!expected) this.#opts.lifecycle?.('crashed');
    for (const id of [...this.#pending.keys()]) {
      this.#fail(id, expected ? 'The MCP server was stopped before it answered' : 'The MCP server exited before it answered; the next request starts it again');
    }
    for (const w of this.#handshakeWaiters.values()) w(null);
    this.#handshakeWaiters.clear();
    this.#serverRequests.clear();
    for (const l of [...this.#listeners]) l.close();
    this.#opts.released(this);
  }

  /** a request of the gateway's own (handshake replay, era probe); null when unanswered in time or the child died */
  async #ask(msg: JsonRpcMessage, timeoutMs: number): Promise<JsonRpcMessage | null> {
    const child = this.#child;
    const id = msg.id as string;
    if (!child) return null;
    const answer = new Promise<JsonRpcMessage | null>((resolve) => {
      const t = setTimeout(() => resolve(null), timeoutMs);
      this.#handshakeWaiters.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
    child.send(msg);
    const res = await answer;
    this.#handshakeWaiters.delete(id);
    return res;
  }

  async #replayInitialize(init: JsonRpcMessage, done: () => void): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const res = await this.#ask({ ...init, id: `portcullis-init-${this.#nextId++}` }, this.#opts.callTimeoutMs);
    if (res && 'result' in res && this.#child === child) {
      child.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      done();
    } else {
      this.#opts.log.warn({ ...this.#opts.logContext, pid: child.pid }, 'stdio server refused the replayed initialize');
    }
  }

  #clientNotification(child: StdioChild, m: JsonRpcMessage, clientKey: string): void {
    if (m.method === 'notifications/cancelled') {
      const requestId = (m.params as { requestId?: unknown } | undefined)?.requestId;
      for (const [id, p] of this.#pending) {
        if (p.clientKey === clientKey && p.originalId === requestId) {
          this.#drop(id);
          child.send({ ...m, params: { ...(m.params as object), requestId: id } });
          return;
        }
      }
      return; // nothing in flight by that id (already answered): nothing to cancel
    }
    child.send(m);
  }

  /** a client's answer to a server-to-client request */
  #clientResponse(child: StdioChild, m: JsonRpcMessage): void {
    const childId = typeof m.id === 'number' ? this.#serverRequests.get(m.id) : undefined;
    if (childId === undefined) return;
    this.#serverRequests.delete(m.id as number);
    child.send({ ...m, id: childId });
  }

  #fromChild(msg: JsonRpcMessage): void {
    this.lastUsed = Date.now();
    if (typeof msg.method !== 'string') return this.#childResponse(msg);
    if (msg.id !== undefined && msg.id !== null) return this.#modern ? this.#refuseChildRequest(msg) : this.#childRequest(msg);
    if (this.#modern) return this.#modernNotification(msg);
    const params = msg.params as { progressToken?: unknown; requestId?: unknown } | undefined;
    if (msg.method === 'notifications/progress' && params?.progressToken !== undefined) {
      for (const p of this.#pending.values()) if (p.progressToken === params.progressToken) return void p.exchange.relay(msg);
      return;
    }
    if (msg.method === 'notifications/cancelled') {
      // the server gave up one of its own requests: the client never answers it
      for (const [sid, childId] of this.#serverRequests) if (childId === params?.requestId) this.#serverRequests.delete(sid);
    }
    const general = /\/list_changed$|^notifications\/resources\/updated$/.test(msg.method);
    this.#route(msg, general);
  }

  #childResponse(msg: JsonRpcMessage): void {
    if (typeof msg.id === 'string' && this.#handshakeWaiters.has(msg.id)) return this.#handshakeWaiters.get(msg.id)!(msg);
    const p = typeof msg.id === 'number' ? this.#pending.get(msg.id) : undefined;
    if (!p) return; // late answer to a cancelled or timed-out request
    this.#drop(msg.id as number);
    if (p.method === 'initialize' && 'result' in msg) this.#handshake.answered(p.message.params);
    // [subscriptions] "Graceful Closure": the listen response carries the subscription id too
    p.exchange.respond({ ...(p.listen ? withSubscriptionId(msg, p.originalId) : msg), id: p.originalId });
  }

  /** a modern child's notification, where modern.ts routes it */
  #modernNotification(msg: JsonRpcMessage): void {
    const route = routeModernNotification(msg, this.#pending);
    if (route.kind === 'relay') return void this.#pending.get(route.to)?.exchange.relay(route.msg);
    if (route.kind === 'end') {
      const p = this.#drop(route.to);
      return p?.exchange.end();
    }
    this.#opts.log.debug({ ...this.#opts.logContext, method: msg.method }, 'stdio server notification for no open request or subscription; dropped');
  }

  /** [stdio] "The server MUST NOT write JSON-RPC requests to stdout" (2026-07-28: input goes in InputRequiredResult) */
  #refuseChildRequest(msg: JsonRpcMessage): void {
    this.#opts.log.warn({ ...this.#opts.logContext, method: msg.method }, 'a 2026-07-28 stdio server sent a request; refused, not forwarded');
    this.#child?.send(childRequestRefusal(msg));
  }

  #childRequest(msg: JsonRpcMessage): void {
    const sid = this.#nextServerId++;
    this.#serverRequests.set(sid, msg.id as string | number);
    if (this.#route({ ...msg, id: sid }, false)) return;
    this.#serverRequests.delete(sid);
    this.#child?.send({ jsonrpc: '2.0', id: msg.id, error: { code: SERVER_ERROR, message: 'No client is connected to answer this request' } });
  }

  /** to the oldest streaming request, or to GET streams (first for list_changed-like messages) */
  #route(msg: JsonRpcMessage, preferListeners: boolean): boolean {
    const toListeners = () => {
      let sent = false;
      for (const l of this.#listeners) sent = l.send(msg) || sent;
      return sent;
    };
    if (preferListeners && toListeners()) return true;
    for (const p of this.#pending.values()) if (p.exchange.relay(msg)) return true;
    return !preferListeners && toListeners();
  }

  #drop(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    this.lastUsed = Date.now();
    return p;
  }

  #fail(id: number, message: string, code = SERVER_ERROR): void {
    const p = this.#drop(id);
    p?.exchange.respond({ jsonrpc: '2.0', id: p.originalId, error: { code, message } });
  }

  /** call_timeout_s: cancel on the child, answer the client */
  #timeout(id: number): void {
    if (!this.#pending.has(id)) return;
    this.#child?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timed out at the gateway' } });
    this.#fail(id, 'Request timed out', REQUEST_TIMEOUT);
  }

  /** MCP "Cancellation": the client left, so the child stops work on what it asked */
  #cancelExchange(exchange: Exchange, reason: string): void {
    for (const [id, p] of [...this.#pending]) {
      if (p.exchange !== exchange) continue;
      this.#drop(id);
      if (p.method === 'initialize') continue; // MCP "Cancellation": initialize MUST NOT be cancelled
      this.#child?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    }
  }
}
