/**
 * The same MCP server on Hono, with the official SDK's web-standard transport, protected by Portcullis
 * (`portcullis/resource-server`). Portcullis runs next to it as the authorization server only:
 *
 *   RS_CLIENT_SECRET=… portcullis serve --dev --config examples/as-only/portcullis.yaml
 *   RS_CLIENT_SECRET=… node --import tsx examples/hono-sdk-server/server.ts
 *
 * then point any MCP client at http://127.0.0.1:3001/mcp.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createResourceServer, portcullisHono, type PortcullisVariables } from 'portcullis/resource-server';
import { notesMcpServer } from '../notes-mcp.js';

const port = Number(process.env.PORT ?? 3001);
const mcpUrl = process.env.MCP_URL ?? `http://127.0.0.1:${port}/mcp`;

const rs = createResourceServer({
  resource: mcpUrl, // the token audience: always checked
  issuer: process.env.PORTCULLIS_ISSUER ?? 'http://127.0.0.1:8080',
  resourceName: 'Notes (Hono example)',
  scopes: ['notes:read', 'notes:write'],
  scopeImplies: { 'notes:write': ['notes:read'] },
  tools: { list_notes: 'notes:read', whoami: 'notes:read', add_note: 'notes:write' },
  unlisted: 'deny',
  credentials: { clientId: process.env.RS_CLIENT_ID ?? 'notes-rs', clientSecretEnv: 'RS_CLIENT_SECRET' },
});
await rs.ready();

const notes: string[] = ['Welcome to the Hono example'];

const app = new Hono<{ Variables: PortcullisVariables }>();
app.use('*', portcullisHono(rs)); // serves the metadata document; every route below needs a token
app.all('/mcp', async (c) => {
  const server = notesMcpServer('notes-hono', notes);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: c.var.parsedBody });
});

const listener = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`Notes MCP server (Hono) ready: ${mcpUrl}`));
const stop = (): void => {
  rs.close();
  listener.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
