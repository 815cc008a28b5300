/**
 * A fixture MCP server for the official conformance suite's `server` scenarios
 * (@modelcontextprotocol/conformance, src/scenarios/server/*.ts): the `test_*` tools, `test://` resources and
 * `test_*` prompts whose exact names and payloads the scenarios expect. Modelled on the suite's own reference
 * fixture (examples/servers/typescript/everything-server.ts in the conformance repository, MIT), which is not
 * published on npm, rewritten on node:http and @modelcontextprotocol/sdk 1.32 without express.
 *
 * Two wires on one endpoint, `POST|GET|DELETE /mcp`:
 * - stateful Streamable HTTP (2025-11-25 and earlier): `initialize` opens a session (`Mcp-Session-Id`), served by
 *   the SDK's StreamableHTTPServerTransport, one McpServer per session, with an event store so that SSE streams
 *   resume with Last-Event-ID (SEP-1699);
 * - stateless 2026-07-28 (SEP-2575): no session; every request carries `_meta` with the protocol version and the
 *   `MCP-Protocol-Version` header, plus the SEP-2243 `Mcp-Method`/`Mcp-Name` headers (validated here, in
 *   `handleStateless`); the rest — `server/discover` instead of `initialize`, `subscriptions/listen` streams, SEP-2322
 *   multi-round (`input_required`) tools — is stateless-core.ts, which stdio-modern-fixture.ts serves over stdio.
 * With `--requirements 2025-11-25` every scenario passes (33, incl. the pending ones); with `--requirements
 * 2026-07-28` every scored scenario passes; the SEP-2663 tasks extension and x-mcp-header custom headers are not
 * implemented.
 *
 * DNS-rebinding protection (MCP [HTTP] "Security Warning", GHSA-w48q-cv73-mx4w): a loopback server refuses a
 * non-loopback Host, and a non-loopback Origin, with 403 — what the SDK's `createMcpExpressApp()` does.
 *
 * Run alone for debugging: `node --import tsx test/conformance/fixture-server.ts [port]`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport, type EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { buildMcpServer } from './fixture-mcp.js';
import { PROTOCOL_VERSION_META, createStatelessCore, type RpcMessage, type StatelessCore, type StatelessOut } from './stateless-core.js';

const LEGACY_VERSIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** In-memory event store for resumable SSE streams (SEP-1699), shared by the sessions of one fixture. */
function memoryEventStore(): EventStore {
  const events: { id: string; streamId: string; message: JSONRPCMessage }[] = [];
  let seq = 0;
  return {
    async storeEvent(streamId, message) {
      const id = `${streamId}::${String(++seq).padStart(8, '0')}`;
      events.push({ id, streamId, message });
      if (events.length > 10_000) events.shift();
      return id;
    },
    async getStreamIdForEventId(eventId) {
      return events.find((e) => e.id === eventId)?.streamId ?? eventId.split('::')[0];
    },
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = lastEventId.split('::')[0] ?? '';
      for (const e of events) {
        if (e.streamId === streamId && e.id > lastEventId && Object.keys(e.message).length > 0) await send(e.id, e.message);
      }
      return streamId;
    },
  };
}

// ===== HTTP =====

export interface FixtureServer {
  /** the MCP endpoint, http://127.0.0.1:<port>/mcp */
  url: string;
  /** request counts: all, those relayed by a proxy that set X-Forwarded-Host, and those carrying Authorization */
  stats: { requests: number; forwarded: Map<string, number>; withAuthorization: number };
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, id: unknown, code: number, message: string, data?: unknown): void {
  sendJson(res, status, { jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data === undefined ? {} : { data }) } });
}

/** Loopback Host (and Origin, when present): the DNS-rebinding rule of the SDK's createMcpExpressApp(). */
function rebindingSafe(req: IncomingMessage): boolean {
  const hostHeader = req.headers.host;
  if (!hostHeader) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  if (!LOOPBACK_HOSTNAMES.has(hostname)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The HTTP binding of the stateless 2026-07-28 wire (stateless-core.ts): what only HTTP has — the
 * MCP-Protocol-Version header agreeing with `_meta`, the SEP-2243 Mcp-Method/Mcp-Name headers agreeing with the body
 * (-32020) — then the core, whose answer becomes JSON, or an SSE stream once a notification precedes it, with 400
 * (404 for -32601) for a protocol-level refusal.
 */
async function handleStateless(req: IncomingMessage, res: ServerResponse, msg: RpcMessage, core: StatelessCore): Promise<void> {
  const id = msg.id ?? null;
  const method = msg.method ?? '';
  const params = msg.params ?? {};
  const headerVersion = req.headers['mcp-protocol-version'] as string | undefined;
  if (!headerVersion) return rpcError(res, 400, id, -32020, 'Missing MCP-Protocol-Version header');
  // a body without a protocol version is the core's to refuse (-32602), before any header comparison
  const metaVersion = params._meta?.[PROTOCOL_VERSION_META];
  if (metaVersion !== undefined && headerVersion !== metaVersion) return rpcError(res, 400, id, -32020, 'Mismatched MCP-Protocol-Version header');
  // SEP-2243 standard headers: Mcp-Method always, Mcp-Name for tools/call, prompts/get, resources/read (OWS trimmed)
  const mcpMethod = (req.headers['mcp-method'] as string | undefined)?.trim();
  if (mcpMethod !== method) return rpcError(res, 400, id, -32020, 'HeaderMismatch: Mcp-Method does not match the request body');
  const nameInBody = method === 'tools/call' || method === 'prompts/get' ? params.name : method === 'resources/read' ? params.uri : undefined;
  if (typeof nameInBody === 'string' && (req.headers['mcp-name'] as string | undefined)?.trim() !== nameInBody) {
    return rpcError(res, 400, id, -32020, 'HeaderMismatch: Mcp-Name does not match the request body');
  }
  return core.handle(msg, httpOut(res, id));
}

function httpOut(res: ServerResponse, id: RpcMessage['id']): StatelessOut {
  let sse = false;
  const cancels: (() => void)[] = [];
  res.on('close', () => {
    for (const fn of cancels.splice(0)) fn();
  });
  const event = (m: unknown) => res.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
  return {
    notify(m) {
      if (!sse) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      sse = true;
      event(m);
    },
    respond(m) {
      if (!sse) return sendJson(res, 200, m);
      event(m);
      res.end();
    },
    reject: (e) => rpcError(res, e.code === -32601 ? 404 : 400, id, e.code, e.message, e.data),
    onCancel: (fn) => void cancels.push(fn),
  };
}


export async function startFixtureServer(opts: { port?: number } = {}): Promise<FixtureServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const core = createStatelessCore(buildMcpServer);
  const eventStore = memoryEventStore();
  const stats: FixtureServer['stats'] = { requests: 0, forwarded: new Map(), withAuthorization: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const fwd = req.headers['x-forwarded-host'];
    if (typeof fwd === 'string') stats.forwarded.set(fwd, (stats.forwarded.get(fwd) ?? 0) + 1);
    if (req.headers.authorization !== undefined) stats.withAuthorization++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/mcp') return sendJson(res, 404, { error: 'not_found' });
    if (!rebindingSafe(req)) return rpcError(res, 403, null, -32000, 'Forbidden: invalid Host or Origin header');
    const sessionId = req.headers['mcp-session-id'] as string | undefined;

    if (req.method === 'POST') {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return rpcError(res, 400, null, -32700, 'Parse error');
      }
      const msg = (Array.isArray(body) ? {} : (body ?? {})) as RpcMessage;
      const headerVersion = req.headers['mcp-protocol-version'] as string | undefined;
      const legacyEra = msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === undefined && headerVersion !== undefined && LEGACY_VERSIONS.has(headerVersion);
      const wantsStateless = !sessionId && (headerVersion !== undefined || msg.params?._meta !== undefined) && !legacyEra;
      if (wantsStateless) return handleStateless(req, res, msg, core);

      if (sessionId) {
        const t = transports.get(sessionId);
        if (!t) return rpcError(res, 404, msg.id, -32001, 'Session not found');
        return t.handleRequest(req, res, body);
      }
      if (msg.method !== 'initialize') return rpcError(res, 400, msg.id, -32000, 'Bad Request: no valid session ID provided');
      const mcp = buildMcpServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore,
        retryInterval: 500, // the `retry` field of the priming event (SEP-1699)
        onsessioninitialized: (sid) => void transports.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
        void mcp.close();
      };
      await mcp.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!sessionId) return rpcError(res, 400, null, -32000, 'Bad Request: no valid session ID provided');
      const t = transports.get(sessionId);
      if (!t) return rpcError(res, 404, null, -32001, 'Session not found');
      return t.handleRequest(req, res);
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error('fixture: request failed', e);
      rpcError(res, 500, null, -32603, 'Internal server error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats,
    async close() {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      core.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && /fixture-server\.[jt]s$/.test(process.argv[1])) {
  const f = await startFixtureServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`fixture MCP server: ${f.url}`);
}
