import type { Server } from 'node:http';

/**
 * Slow-client limits for the HTTP server (issue 10 finding: "slow clients"). Node's defaults let one connection
 * trickle its headers for 60 s and its body for 300 s, so a few hundred slow sockets tie up an instance (slowloris).
 * These bound how long *receiving a request* may take; responses (SSE streams included) are not limited by them.
 * - headers: the whole header block within `headersMs` (Node `server.headersTimeout`);
 * - request: headers and body within `requestMs` (Node `server.requestTimeout`; a 4 MiB MCP body needs far less).
 */
export const REQUEST_TIMEOUTS = { headersMs: 15_000, requestMs: 60_000 } as const;

export function applyRequestTimeouts(server: Server, limits: { headersMs: number; requestMs: number } = REQUEST_TIMEOUTS): void {
  server.headersTimeout = limits.headersMs;
  server.requestTimeout = limits.requestMs;
}
