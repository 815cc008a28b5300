import { namedEntry } from './policy.js';

/** JSON-RPC error code for a header that disagrees with the body (MCP 2026-07-28 [HTTP] "Server Validation"). */
export const HEADER_MISMATCH = -32020;

/** Header values that are not plain ASCII travel as `=?base64?<base64 of UTF-8>?=`. */
export function decodeHeaderValue(raw: string): string {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/.exec(raw);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : raw;
}

/**
 * MCP 2026-07-28 [HTTP]: `Mcp-Method` mirrors `method`, and `Mcp-Name` mirrors `params.name` (tools/call,
 * prompts/get) or `params.uri` (resources/read). A load balancer may route or rate-limit on the header while
 * the server executes the body, so any disagreement is refused (400, HeaderMismatch). Requests without the
 * headers (earlier wire revisions) pass. Returns the reason, or null when consistent.
 */
export function headerMismatch(headers: Headers, messages: readonly Record<string, unknown>[], batch: boolean): string | null {
  const method = headers.get('mcp-method');
  const name = headers.get('mcp-name');
  if (method === null && name === null) return null;
  if (batch || messages.length !== 1) return 'Mcp-Method/Mcp-Name headers on a batch';
  const msg = messages[0]!;
  if (method !== null && decodeHeaderValue(method) !== msg.method) return 'Mcp-Method does not match the body method';
  const entry = namedEntry(msg);
  if (name !== null) {
    if (!entry || entry.name === undefined || decodeHeaderValue(name) !== entry.name) return 'Mcp-Name does not match the body';
  } else if (entry && method !== null && ['tools/call', 'prompts/get', 'resources/read'].includes(entry.method)) {
    return `Mcp-Name is required for ${entry.method}`;
  }
  return null;
}
