import type { JsonRpcMessage } from './child.js';
import { jsonRpcErrorResponse, type JsonRpcId } from '../jsonrpc.js';

/**
 * MCP 2026-07-28 "Versioning: Backward Compatibility": a stdio server is legacy (initialize-based) or modern
 * (per-request `_meta`). The gateway stays transparent — it never translates one era into the other — but it
 * learns the child's era the way the stdio binding tells a client to (probe with `server/discover`; a
 * DiscoverResult or a recognized modern error means modern, anything else legacy) and answers a modern request
 * for a legacy child as a legacy Streamable HTTP server would: 400 without a modern error body, so that a
 * dual-era client falls back to `initialize` ([HTTP] "Backward Compatibility") and a modern-only one fails
 * deterministically, instead of the child processing an era-ambiguous request under legacy semantics.
 */
export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
export const VERSION_META = 'io.modelcontextprotocol/protocolVersion';
/** UnsupportedProtocolVersionError: only a modern server sends it */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** a message's `params._meta` (2026-07-28 [basic] "_meta") */
export const metaOf = (msg: JsonRpcMessage): Record<string, unknown> | undefined => (msg.params as { _meta?: Record<string, unknown> } | undefined)?._meta;

/** a request of the 2026-07-28 era: a non-legacy MCP-Protocol-Version header or `_meta` protocol version */
export function isModernRequest(headerVersion: string | null, msg: JsonRpcMessage): boolean {
  const meta = metaOf(msg);
  const metaVersion = typeof meta?.[VERSION_META] === 'string' ? (meta[VERSION_META] as string) : null;
  const version = metaVersion ?? headerVersion;
  return version !== null && !LEGACY_VERSIONS.has(version);
}

export function discoverProbe(id: string): JsonRpcMessage {
  return { jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: { [VERSION_META]: MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } };
}

/** the probe's answer (null: none in time) → the child's era */
export function eraOf(answer: JsonRpcMessage | null): 'modern' | 'legacy' {
  if (!answer) return 'legacy';
  if ('result' in answer) return 'modern';
  return (answer.error as { code?: unknown } | undefined)?.code === UNSUPPORTED_PROTOCOL_VERSION ? 'modern' : 'legacy';
}

export function legacyOnlyResponse(id: JsonRpcId): Response {
  return jsonRpcErrorResponse(400, -32000, 'Bad Request: this MCP server speaks only initialize-based protocol versions (2025-11-25 and earlier); send initialize', id);
}
