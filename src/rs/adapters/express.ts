import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity, ResourceServer, SdkAuthInfo } from '../protect.js';
import { parsedBodyBytes, readNodeBody, sendWebResponse, toWebRequest } from './node.js';

/**
 * Express (4 or 5) middleware, typed structurally so that express stays the application's dependency, not ours.
 * Serves the metadata document at its well-known path, refuses what must be refused, and otherwise sets
 * `req.auth` (the SDK's AuthInfo: StreamableHTTPServerTransport hands it to tool handlers as `extra.authInfo`),
 * `req.portcullis` (the identity) and `req.body` (the JSON the policy checked, as `express.json()` would).
 *
 *   app.use(portcullisExpress(rs));            // before the MCP routes; every later route is protected
 *   app.post('/mcp', (req, res) => transport.handleRequest(req, res, req.body));
 */

export type ExpressRequest = IncomingMessage & { originalUrl?: string; body?: unknown; auth?: SdkAuthInfo; portcullis?: Identity };
export type ExpressMiddleware = (req: ExpressRequest, res: ServerResponse, next: (err?: unknown) => void) => void;

export function portcullisExpress(rs: ResourceServer): ExpressMiddleware {
  return (req, res, next) => {
    void (async () => {
      const path = req.originalUrl ?? req.url ?? '/';
      const prm = rs.prm(toWebRequest(req, path));
      if (prm) return sendWebResponse(res, prm);
      let body: Uint8Array | undefined;
      if (req.method === 'POST') {
        const already = parsedBodyBytes(req.body); // express.raw(), .text() or .json() may have read it
        const read = already ?? (await readNodeBody(req));
        if (read === 'too_large') return sendWebResponse(res, new Response(null, { status: 413, headers: { connection: 'close' } }));
        body = read;
      }
      const verdict = await rs.handle(toWebRequest(req, path, body));
      if (!verdict.ok) return sendWebResponse(res, verdict.response);
      req.auth = verdict.authInfo;
      req.portcullis = verdict.identity;
      if (req.method === 'POST') req.body = verdict.parsedBody;
      next();
    })().catch(next);
  };
}
