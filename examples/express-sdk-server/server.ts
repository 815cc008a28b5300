/**
 * An MCP server on Express, built with the official SDK, protected by Portcullis (`portcullis/resource-server`).
 * Portcullis runs next to it as the authorization server only (see portcullis.yaml); run both:
 *
 *   RS_CLIENT_SECRET=… portcullis serve --dev --config examples/as-only/portcullis.yaml
 *   RS_CLIENT_SECRET=… node --import tsx examples/express-sdk-server/server.ts
 *
 * then point any MCP client at http://127.0.0.1:3000/mcp.
 */
import express from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createResourceServer, portcullisExpress } from 'portcullis/resource-server';
import { notesMcpServer } from '../notes-mcp.js';

const port = Number(process.env.PORT ?? 3000);
const mcpUrl = process.env.MCP_URL ?? `http://127.0.0.1:${port}/mcp`;

// Everything Portcullis needs to know; a mistake here throws at start, naming the option.
const rs = createResourceServer({
  resource: mcpUrl, // the token audience: always checked
  issuer: process.env.PORTCULLIS_ISSUER ?? 'http://127.0.0.1:8080',
  resourceName: 'Notes (Express example)',
  scopes: ['notes:read', 'notes:write'],
  scopeImplies: { 'notes:write': ['notes:read'] },
  tools: { list_notes: 'notes:read', whoami: 'notes:read', add_note: 'notes:write' },
  unlisted: 'deny',
  // a client of the AS marked `introspection: true`: polls revoked grants, so a revocation counts within seconds
  credentials: { clientId: process.env.RS_CLIENT_ID ?? 'notes-rs', clientSecretEnv: 'RS_CLIENT_SECRET' },
});
await rs.ready(); // the issuer's metadata, keys and revocation list, or a clear error now

const notes: string[] = ['Welcome to the Express example'];

const app = express();
app.use(express.json());
app.use(portcullisExpress(rs)); // serves /.well-known/oauth-protected-resource/mcp; every route below needs a token
app.post('/mcp', async (req, res) => {
  // stateless: one server and transport per request
  const server = notesMcpServer('notes-express', notes);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body); // req.auth is set by the middleware
});

const listener = app.listen(port, '127.0.0.1', () => console.log(`Notes MCP server (Express) ready: ${mcpUrl}`));
const stop = (): void => {
  rs.close();
  listener.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
