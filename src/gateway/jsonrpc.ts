/** JSON-RPC 2.0 bodies as the gateway sees them, and the gateway's own JSON-RPC error responses. */

export type JsonRpcId = string | number | null;

export type ParsedBody =
  | { kind: 'empty' }
  /** `messages`: the object, or a batch's members (non-objects dropped) */
  | { kind: 'json'; messages: Record<string, unknown>[]; batch: boolean; value: unknown }
  | { kind: 'invalid' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse a POST body. A body we cannot parse is refused rather than forwarded: per-tool policy applies to every
 * message (ARCHITECTURE "Wire revisions"), so nothing we could not inspect may reach the upstream.
 */
export function parseJsonRpcBody(bytes: Uint8Array): ParsedBody {
  if (bytes.byteLength === 0) return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return { kind: 'invalid' };
  }
  if (Array.isArray(value)) return { kind: 'json', messages: value.filter(isObject), batch: true, value };
  return { kind: 'json', messages: isObject(value) ? [value] : [], batch: false, value };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The id to answer with: the single request's id, else null (batch, notification, unparsed). */
export function responseId(body: ParsedBody | undefined): JsonRpcId {
  if (body?.kind !== 'json' || body.batch) return null;
  const id = body.messages[0]?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

// JSON-RPC 2.0 §5.1 codes, and the implementation-defined range the MCP SDKs use for transport errors.
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001; // as the MCP TypeScript SDK answers an unknown session
export const MISSING_CLIENT_CAPABILITY = -32021; // 2026-07-28: a request needs a capability the client did not declare

export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  id: JsonRpcId = null,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
