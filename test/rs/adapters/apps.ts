/**
 * The Fastify and node:http MCP servers of the adapter end-to-end test, built like the Express and Hono examples
 * (examples/*-sdk-server): the examples' own notes MCP server (examples/notes-mcp.ts), stateless Streamable HTTP,
 * each protected by its adapter from `portcullis/resource-server`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { notesMcpServer } from '../../../examples/notes-mcp.js';
import { createResourceServer, nodeHttpGuard, registerPortcullisFastify, type ResourceServer, type ResourceServerOptions } from '../../../src/rs/index.js';

/** the examples' resource-server options, for `resource` */
export function notesOptions(resource: string, issuer: string, env: Record<string, string>): ResourceServerOptions {
  return {
    resource,
    issuer,
    scopes: ['notes:read', 'notes:write'],
    scopeImplies: { 'notes:write': ['notes:read'] },
    tools: { list_notes: 'notes:read', whoami: 'notes:read', add_note: 'notes:write' },
    unlisted: 'deny',
    credentials: { clientId: 'notes-rs', clientSecretEnv: 'RS_CLIENT_SECRET' },
    revocation: { mode: 'poll', intervalSeconds: 0.5 },
    env,
  };
}

export interface RunningApp {
  close(): Promise<void>;
}

async function handleMcp(req: Parameters<StreamableHTTPServerTransport['handleRequest']>[0], res: Parameters<StreamableHTTPServerTransport['handleRequest']>[1], body: unknown, notes: string[]): Promise<void> {
  const server = notesMcpServer('notes-test', notes);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

export async function startFastifyApp(port: number, rs: ResourceServer): Promise<RunningApp> {
  const notes = ['Welcome to the Fastify app'];
  const app = Fastify();
  registerPortcullisFastify(app, rs);
  app.all('/mcp', async (request, reply) => {
    reply.hijack();
    await handleMcp(request.raw, reply.raw, request.body, notes);
  });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    close: async () => {
      rs.close();
      await app.close();
    },
  };
}

export async function startNodeHttpApp(port: number, rs: ResourceServer): Promise<RunningApp> {
  const notes = ['Welcome to the node:http app'];
  const guard = nodeHttpGuard(rs);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const passed = await guard(req, res);
      if (!passed) return;
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      await handleMcp(req, res, passed.parsedBody, notes);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  void (server.address() as AddressInfo);
  return {
    close: async () => {
      rs.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { createResourceServer };
