import type { IncomingMessage } from 'node:http';
import type { Identity, ResourceServer, SdkAuthInfo } from '../protect.js';
import { parsedBodyBytes, toWebRequest } from './node.js';

/**
 * Fastify (4 or 5), typed structurally so that fastify stays the application's dependency. Adds two hooks to
 * `app`: `onRequest` serves the metadata document, `preHandler` (after Fastify parsed the body) refuses what
 * must be refused and otherwise sets `request.auth` and `request.raw.auth` (the SDK's AuthInfo; the SDK's
 * StreamableHTTPServerTransport reads the latter) and `request.portcullis`. Every route of `app` is protected;
 * register it inside a plugin to protect only that plugin's routes.
 *
 *   registerPortcullisFastify(app, rs);
 *   app.post('/mcp', async (request, reply) => { reply.hijack(); await transport.handleRequest(request.raw, reply.raw, request.body); });
 */

interface FastifyRequestLike {
  raw: IncomingMessage & { auth?: SdkAuthInfo };
  url: string;
  method: string;
  body?: unknown;
  auth?: SdkAuthInfo;
  portcullis?: Identity;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}
type Hook = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;
export interface FastifyLike {
  addHook(name: 'onRequest' | 'preHandler', hook: Hook): unknown;
}

async function send(reply: FastifyReplyLike, response: Response): Promise<FastifyReplyLike> {
  reply.code(response.status);
  response.headers.forEach((v, k) => reply.header(k, v));
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

export function registerPortcullisFastify(app: FastifyLike, rs: ResourceServer): void {
  app.addHook('onRequest', async (request, reply) => {
    const prm = rs.prm(toWebRequest(request.raw, request.url));
    if (prm) return send(reply, prm);
    return undefined;
  });
  // a reply sent by onRequest (the metadata) ends the request there: preHandler never sees it
  app.addHook('preHandler', async (request, reply) => {
    const body = request.method === 'POST' ? parsedBodyBytes(request.body) : undefined;
    const verdict = await rs.handle(toWebRequest(request.raw, request.url, body));
    if (!verdict.ok) return send(reply, verdict.response);
    request.auth = verdict.authInfo;
    request.raw.auth = verdict.authInfo;
    request.portcullis = verdict.identity;
    if (request.method === 'POST') request.body = verdict.parsedBody;
    return undefined;
  });
}
