import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './tls.js';

/** What one path answers. `body` objects are sent as JSON with content-type application/json. */
export interface StaticReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export type StaticRoute = StaticReply | ((req: IncomingMessage, res: ServerResponse) => void);

export interface HttpsStaticServer {
  port: number;
  /** `https://localhost:<port>` */
  origin: string;
  /** `https://localhost:<port><path>` */
  url(path: string): string;
  /** set (or replace) what `path` answers */
  route(path: string, reply: StaticRoute): void;
  /** every request path seen, in order (what Portcullis fetched) */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback https server with a certificate from the test CA, answering fixed replies per path (404 otherwise).
 * Listens on 127.0.0.1 and, where available, on [::1] with the same port, so `localhost` works whichever
 * address the resolver returns first.
 */
export async function startHttpsStatic(ca: TestCa, routes: Record<string, StaticRoute> = {}): Promise<HttpsStaticServer> {
  const table = new Map<string, StaticRoute>(Object.entries(routes));
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    const route = table.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (typeof route === 'function') {
      route(req, res);
      return;
    }
    let body: string | Buffer;
    const headers: Record<string, string> = { ...route.headers };
    if (route.body === undefined) body = '';
    else if (typeof route.body === 'string' || Buffer.isBuffer(route.body)) body = route.body;
    else {
      body = JSON.stringify(route.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    res.writeHead(route.status ?? 200, headers).end(body);
  };
  const servers: Server[] = [];
  const listen = (host: string, port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer({ key: ca.keyPem, cert: ca.certPem }, handler);
      s.once('error', reject);
      s.listen(port, host, () => resolve(s));
    });
  const first = await listen('127.0.0.1', 0);
  servers.push(first);
  const port = (first.address() as AddressInfo).port;
  try {
    servers.push(await listen('::1', port));
  } catch {
    // no IPv6 loopback here: 127.0.0.1 alone serves `localhost`
  }
  const origin = `https://localhost:${port}`;
  return {
    port,
    origin,
    url: (path) => `${origin}${path}`,
    route: (path, reply) => void table.set(path, reply),
    requests,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
