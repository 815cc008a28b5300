import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A node:http upstream on 127.0.0.1:0 that records every request (headers and body) before handling it. */
export async function startUpstream(handler: UpstreamHandler, path = '/mcp'): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    try {
      await handler(req, res, body);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The MCP server behind the gateway: `echo` (no scope needed) and `write_note` (mapped to notes:write). */
export function notesServer(): McpServer {
  const server = new McpServer({ name: 'notes-upstream', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echo text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('write_note', { description: 'Save a note', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: `saved: ${text}` }],
  }));
  return server;
}

const parse = (body: string): unknown => (body ? JSON.parse(body) : undefined);

/** Stateless Streamable HTTP (a fresh server and transport per request), JSON or SSE responses. */
export function statelessMcp(mode: 'json' | 'sse'): UpstreamHandler {
  return async (req, res, body) => {
    const server = notesServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: mode === 'json' });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, parse(body));
  };
}

/** Legacy stateful Streamable HTTP (2025-11-25): sessions with Mcp-Session-Id, GET SSE and DELETE. */
export function statefulMcp(): UpstreamHandler {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  return async (req, res, body) => {
    const sessionId = req.headers['mcp-session-id'];
    const parsed = parse(body);
    if (typeof sessionId === 'string') {
      const t = transports.get(sessionId);
      if (!t) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      await t.handleRequest(req, res, parsed);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(parsed)) {
      res.writeHead(400).end('no session');
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => void transports.set(id, transport),
      onsessionclosed: (id) => void transports.delete(id),
    });
    await notesServer().connect(transport);
    await transport.handleRequest(req, res, parsed);
  };
}
