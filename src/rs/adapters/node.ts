import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity, ResourceServer, SdkAuthInfo } from '../protect.js';

/**
 * node:http adapter, and the conversions every Node framework adapter shares: IncomingMessage → web Request,
 * web Response → ServerResponse. Only the path and query of the incoming URL are used (metadata path, the
 * query-token check); the resource URL always comes from the configuration, never from a Host header.
 */

export type AuthedIncomingMessage = IncomingMessage & { auth?: SdkAuthInfo; portcullis?: Identity };

/** framing of the incoming hop; the core gets the body whole */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'content-length', 'te', 'trailer']);

/** the request as the core sees it; `body` is the already-read POST body, if any */
export function toWebRequest(req: IncomingMessage, path: string, body?: Uint8Array): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name)) continue;
    // several Authorization fields stay distinguishable (joined by ", ": refused as multiple credentials)
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = req.method ?? 'GET';
  const hasBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
  if (hasBody) headers.set('content-length', String(body.byteLength));
  return new Request(new URL(path, 'http://localhost'), { method, headers, ...(hasBody ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
}

/** the whole body of `req`, at most `max` bytes (else 'too_large', the rest left unread) */
export async function readNodeBody(req: IncomingMessage, max = 4 * 1024 * 1024): Promise<Uint8Array | 'too_large'> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.byteLength;
    if (total > max) return 'too_large';
    chunks.push(b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** a body a framework's parser already read (raw bytes, text or JSON), as bytes again; undefined when none did */
export function parsedBodyBytes(body: unknown): Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
}

/** writes a (small, complete) web Response to `res` */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(response.status, headers);
  res.end(body);
}

/** what a protected request carries on: the identity, the SDK's AuthInfo and the JSON body the policy checked */
export interface Passed {
  identity: Identity;
  authInfo: SdkAuthInfo;
  parsedBody: unknown;
}

/**
 * For a plain `node:http` server: serves the metadata and refusals itself and resolves null, or resolves the
 * identity with `req.auth` set (what the SDK's StreamableHTTPServerTransport reads). Pass `parsedBody` on to
 * `transport.handleRequest(req, res, parsedBody)`: the body stream has been read.
 *
 *   const guard = nodeHttpGuard(rs);
 *   http.createServer(async (req, res) => { const ok = await guard(req, res); if (ok) await transport.handleRequest(req, res, ok.parsedBody); });
 */
export function nodeHttpGuard(rs: ResourceServer): (req: IncomingMessage, res: ServerResponse) => Promise<Passed | null> {
  return async (req, res) => {
    const path = req.url ?? '/';
    const prm = rs.prm(toWebRequest(req, path));
    if (prm) {
      await sendWebResponse(res, prm);
      return null;
    }
    let body: Uint8Array | undefined;
    if (req.method === 'POST') {
      const read = await readNodeBody(req);
      if (read === 'too_large') {
        await sendWebResponse(res, new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Request body too large' }, id: null }), { status: 413, headers: { 'content-type': 'application/json', connection: 'close' } }));
        return null;
      }
      body = read;
    }
    const verdict = await rs.handle(toWebRequest(req, path, body));
    if (!verdict.ok) {
      await sendWebResponse(res, verdict.response);
      return null;
    }
    const authed = req as AuthedIncomingMessage;
    authed.auth = verdict.authInfo;
    authed.portcullis = verdict.identity;
    return { identity: verdict.identity, authInfo: verdict.authInfo, parsedBody: verdict.parsedBody };
  };
}
