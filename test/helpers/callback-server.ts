import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from './ports.js';

export interface CallbackServer {
  port: number;
  /** `http://127.0.0.1:<port>/callback` */
  redirectUrl: string;
  /** the query of every request to /callback, in order */
  hits: URLSearchParams[];
  /** resolves with the query of the next (or an already received, not yet taken) callback */
  next(timeoutMs?: number): Promise<URLSearchParams>;
  close(): Promise<void>;
}

/**
 * A native app's loopback redirect target (RFC 8252 §7.3): a real http server on 127.0.0.1 that captures
 * `code`, `state`, `iss` (or `error`) from /callback and answers a small page.
 */
export async function startCallbackServer(): Promise<CallbackServer> {
  const hits: URLSearchParams[] = [];
  let taken = 0;
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    hits.push(u.searchParams);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Done</title><p id="done">Authorization received. You can close this window.</p>');
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    hits,
    next: (timeoutMs = 15_000) =>
      withTimeout(
        new Promise<URLSearchParams>((resolve) => {
          const check = (): void => {
            if (hits.length > taken) resolve(hits[taken++]!);
            else waiters.push(check);
          };
          check();
        }),
        timeoutMs,
        'no authorization callback arrived',
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
