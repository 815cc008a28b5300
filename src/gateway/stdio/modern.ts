import { HEADER_MISMATCH } from '../mcp-headers.js';
import { INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY, SERVER_ERROR, jsonRpcErrorResponse, type JsonRpcId } from '../jsonrpc.js';
import type { JsonRpcMessage } from './child.js';
import { UNSUPPORTED_PROTOCOL_VERSION, VERSION_META, metaOf } from './era.js';

/**
 * The HTTP layer of the 2026-07-28 Streamable HTTP transport for a modern stdio child. A stdio server has no HTTP:
 * its answers are bare JSON-RPC lines ([stdio] "Request Metadata": "There is no header layer"). So what that
 * transport asks of the *server* at the HTTP layer — required headers agreeing with the body, the HTTP status of a
 * protocol error, request-scoped vs subscription streams — is the gateway's to do, here and in slot.ts.
 */

export const LISTEN = 'subscriptions/listen';
/** [HTTP] "Receiving Messages": a comment line this often keeps a quiet listen stream open through intermediaries */
export const LISTEN_KEEP_ALIVE_MS = 15_000;
/** 2026-07-28 [basic] "_meta": correlates a listen-stream message with its `subscriptions/listen` request */
export const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
const REQUIRED_META = [VERSION_META, 'io.modelcontextprotocol/clientCapabilities'];

type Meta = Record<string, unknown> | undefined;

/**
 * [HTTP] "Server Validation", for a server that terminates the 2026-07-28 wire itself (an HTTP upstream validates
 * its own): the standard headers `headerMismatch` checks only when present are required here — "A required standard
 * header (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) is missing" — and `MCP-Protocol-Version` must equal the
 * body's `_meta` protocol version ("Protocol Version Header"). A body without that `_meta` field is left to the
 * `_meta` check (-32602), which the spec orders first. Returns the reason (answered 400, -32020), or null. Mcp-Name
 * agreement stays with `headerMismatch`.
 */
function headerProblem(headers: Headers, msg: JsonRpcMessage): string | null {
  const version = headers.get('mcp-protocol-version');
  if (version === null || version === '') return 'MCP-Protocol-Version header is required';
  if (headers.get('mcp-method') === null) return 'Mcp-Method header is required';
  const bodyVersion = metaOf(msg)?.[VERSION_META];
  if (bodyVersion !== undefined && bodyVersion !== version) return 'MCP-Protocol-Version header does not match _meta protocolVersion';
  return null;
}

/** Checks of a modern request before it reaches the child; a Response refuses it, null lets it through. */
export function checkModernRequest(headers: Headers, messages: readonly JsonRpcMessage[], post: { batch: boolean; acceptsSse: boolean }, id: JsonRpcId): Response | null {
  // [HTTP] "Sending Messages": "The body of the HTTP POST MUST be a single JSON-RPC request or notification"
  if (post.batch || messages.length !== 1) return jsonRpcErrorResponse(400, INVALID_REQUEST, 'Invalid Request: a 2026-07-28 POST carries one JSON-RPC message, not a batch', null);
  const msg = messages[0]!;
  const header = headerProblem(headers, msg);
  if (header) return jsonRpcErrorResponse(400, HEADER_MISMATCH, `HeaderMismatch: ${header}`, id);
  // [basic] "Per-request protocol fields": "A request missing any required field is malformed; the server MUST reject
  // it with -32602 (Invalid params). On HTTP, the response status MUST be 400". The child would say -32602 too, but
  // over stdio -32602 also means "unknown resource" or "bad requestState" (HTTP 200), so only here is the 400 certain.
  const meta = metaOf(msg);
  const missing = REQUIRED_META.filter((k) => meta?.[k] === undefined);
  if (missing.length > 0) return jsonRpcErrorResponse(400, INVALID_PARAMS, `Invalid params: _meta is missing ${missing.join(', ')}`, id);
  // [HTTP] "Receiving Messages": the listen response *is* an SSE stream; a client that takes none could get nothing
  if (msg.method === LISTEN && !post.acceptsSse) return jsonRpcErrorResponse(406, SERVER_ERROR, 'Not Acceptable: subscriptions/listen answers with an SSE stream; Accept text/event-stream', id);
  return null;
}

/** the child's answer to a request of its own ([stdio]: "The server MUST NOT write JSON-RPC requests to stdout") */
export function childRequestRefusal(msg: JsonRpcMessage): JsonRpcMessage {
  return { jsonrpc: '2.0', id: msg.id, error: { code: METHOD_NOT_FOUND, message: 'Method not found: a 2026-07-28 client takes no requests; return an InputRequiredResult' } };
}

/**
 * The HTTP status of a modern child's single JSON answer ([HTTP] "Protocol Version Header", [basic] "Per-request
 * protocol fields"): -32601 → 404 ("does not implement the requested RPC method"), an unsupported version (-32022),
 * an undeclared client capability (-32021) or a header mismatch (-32020) → 400; anything else 200.
 */
export function modernStatus(msg: JsonRpcMessage): number {
  const code = (msg.error as { code?: unknown } | undefined)?.code;
  if (code === METHOD_NOT_FOUND) return 404;
  if (code === UNSUPPORTED_PROTOCOL_VERSION || code === MISSING_CLIENT_CAPABILITY || code === HEADER_MISMATCH) return 400;
  return 200;
}

/** [logging] "Per-request log level": only a request that set `_meta.io.modelcontextprotocol/logLevel` gets logs */
export function wantsLogs(msg: JsonRpcMessage): boolean {
  return metaOf(msg)?.['io.modelcontextprotocol/logLevel'] !== undefined;
}

/** the subscription a child's message belongs to (the child's id of the `subscriptions/listen` request), if any */
export function subscriptionOf(msg: JsonRpcMessage): unknown {
  const params = (msg.params ?? msg.result) as { _meta?: Meta } | undefined;
  return params?._meta?.[SUBSCRIPTION_ID];
}

/**
 * The message with its subscription id turned back into the client's own request id (the gateway rewrote the
 * listen request's id for the child, and [subscriptions] "Receiving Notifications": the value *is* that id).
 */
export function withSubscriptionId(msg: JsonRpcMessage, clientId: string | number): JsonRpcMessage {
  const key = 'params' in msg ? 'params' : 'result';
  const inner = msg[key] as { _meta?: Record<string, unknown> } | undefined;
  if (inner?._meta?.[SUBSCRIPTION_ID] === undefined) return msg;
  return { ...msg, [key]: { ...inner, _meta: { ...inner._meta, [SUBSCRIPTION_ID]: clientId } } };
}

/** what routing needs to know of an in-flight request (slot.ts `Pending`) */
export interface Routable {
  originalId: string | number;
  progressToken: unknown;
  listen: boolean;
  logs: boolean;
}

export type NotificationRoute = { kind: 'relay'; to: number; msg: JsonRpcMessage } | { kind: 'end'; to: number } | { kind: 'drop' };

/**
 * Where a modern child's notification goes, among the in-flight requests by child id ([stdio] "Receiving Messages":
 * one channel, correlated by content). A listen-stream one to the `subscriptions/listen` its subscription id names
 * and nowhere else ([subscriptions] "MUST NOT send notification types the client has not requested"); progress to
 * the request with its token; a log only to a request that set a log level ([logging]: "request-scoped", never on a
 * listen stream); the child cancelling a listen ends that stream ([cancellation]: the only cancel a server sends;
 * on HTTP the stream closing says it); anything else, such as a list_changed without a subscription, nowhere.
 */
export function routeModernNotification(msg: JsonRpcMessage, pending: ReadonlyMap<number, Routable>): NotificationRoute {
  const sub = subscriptionOf(msg);
  if (sub !== undefined) {
    const p = typeof sub === 'number' ? pending.get(sub) : undefined;
    return p?.listen ? { kind: 'relay', to: sub as number, msg: withSubscriptionId(msg, p.originalId) } : { kind: 'drop' };
  }
  const params = msg.params as { progressToken?: unknown; requestId?: unknown } | undefined;
  if (msg.method === 'notifications/cancelled') {
    const id = params?.requestId;
    return typeof id === 'number' && pending.get(id)?.listen ? { kind: 'end', to: id } : { kind: 'drop' };
  }
  for (const [id, p] of pending) {
    if (p.listen) continue;
    if (msg.method === 'notifications/progress' ? p.progressToken !== undefined && p.progressToken === params?.progressToken : msg.method === 'notifications/message' && p.logs) {
      return { kind: 'relay', to: id, msg };
    }
  }
  return { kind: 'drop' };
}
