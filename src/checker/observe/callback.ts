/**
 * The loopback redirect receiver for `--login` (RFC 8252 §7.3): an HTTP server on the redirect URI's loopback host
 * (any port when the URI names none) that waits for one authorization response on the redirect path. Opening the
 * authorization URL in a browser uses execFile with the URL as one argv element, never a shell (MCP [BP]
 * "OAuth Authorization URL Validation").
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Callback {
  /** the redirect URI to send, with the port actually listened on */
  redirectUri: string;
  /** resolves with the next callback URL a user agent delivers (one per authorization) */
  next(): Promise<URL>;
  close(): Promise<void>;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>portcullis check</title><p>Authorization received by <code>portcullis check</code>. You can close this window and return to the terminal.</p>';

export function isLoopbackHttp(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

export async function startCallback(redirectUri: string): Promise<Callback> {
  if (!isLoopbackHttp(redirectUri)) throw new Error(`--login needs a loopback http redirect URI (http://127.0.0.1:PORT/path), got ${redirectUri}`);
  const want = new URL(redirectUri);
  const queue: URL[] = [];
  let waiter: ((u: URL) => void) | undefined;
  const deliver = (u: URL): void => {
    if (waiter) waiter(u);
    else queue.push(u);
    waiter = undefined;
  };
  let base = '';
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', base);
    if (req.method !== 'GET' || u.pathname !== want.pathname || !(u.searchParams.has('code') || u.searchParams.has('error'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end(PAGE);
    deliver(u);
  });
  const host = want.hostname === '[::1]' ? '::1' : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(want.port ? Number(want.port) : 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  want.port = String(port);
  base = want.origin;
  return {
    redirectUri: want.toString(),
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise<URL>((resolve) => (waiter = resolve));
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Opens `url` in the default browser without a shell: the URL is a single argv element of a fixed program. */
export function openInBrowser(url: string, onError: (message: string) => void): void {
  const u = new URL(url);
  if (u.protocol !== 'https:' && !isLoopbackHttp(url)) throw new Error(`refusing to open a ${u.protocol} URL`);
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['explorer.exe', [url]] : ['xdg-open', [url]];
  const child = execFile(cmd, args as string[], { shell: false, windowsHide: true }, (e) => {
    if (e && process.platform !== 'win32') onError(`could not open a browser (${cmd}: ${e.message}); open the URL above yourself`);
  });
  child.unref();
}
