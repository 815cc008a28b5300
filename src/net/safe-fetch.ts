import { controlDisabled } from '../core/controls.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { loadUndici } from './undici-lazy.js';
import { isLoopbackHost } from '../core/urls.js';
import { classifyAddressDetail } from './address.js';
import {
  SafeFetchError,
  type ResolvedAddress,
  type Resolver,
  type SafeFetchOptions,
  type SafeFetchResult,
} from './types.js';

export { classifyAddress, classifyAddressDetail, type AddressClass } from './address.js';

/**
 * GET a URL that a client supplied (its CIMD URL, and the jwks_uri / logo_uri inside it), per CIMD §6.5 (-01)
 * and the MCP security best practices ("DNS Resolution Considerations"):
 *  - https only (http only with allowHttp, on a loopback host); no userinfo;
 *  - DNS resolved once; every answer must be a public unicast address (loopback only with allowLoopback);
 *  - the connection goes to that pinned address while TLS still verifies the certificate against the hostname;
 *  - no redirects, no cookies, the body capped at maxBytes, the whole exchange capped at timeoutMs.
 * Throws SafeFetchError with a reason for logs; never follows a redirect.
 */
export async function safeFetch(url: string, opts: SafeFetchOptions): Promise<SafeFetchResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    return await fetchPinned(url, opts, controller.signal);
  } catch (e) {
    if (e instanceof SafeFetchError) throw e;
    if (controller.signal.aborted) throw new SafeFetchError('timeout', `no complete response within ${opts.timeoutMs} ms`);
    throw new SafeFetchError('network_error', errorText(e));
  } finally {
    clearTimeout(timer);
  }
}

/** The default resolver: the system's getaddrinfo, every address, in the order the system gives. */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function parseTarget(url: string, opts: SafeFetchOptions): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SafeFetchError('bad_url', 'not an absolute URL');
  }
  // RFC 3986 §3.2.1 userinfo: never sent to a client-supplied host (CIMD §3 forbids it in the URL too).
  if (u.username !== '' || u.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) {
    throw new SafeFetchError('bad_url', 'userinfo not allowed');
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && opts.allowHttp && isLoopbackHost(u.hostname)) return u;
  throw new SafeFetchError('scheme_not_allowed', `${u.protocol} not allowed`);
}

async function resolveOnce(hostname: string, opts: SafeFetchOptions, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const family = isIP(literal);
  if (family === 4 || family === 6) return [{ address: literal, family }];
  let answers: ResolvedAddress[];
  try {
    answers = await abortable((opts.resolver ?? systemResolver)(hostname), signal);
  } catch (e) {
    if (signal.aborted) throw e;
    throw new SafeFetchError('dns_failed', `${hostname}: ${errorText(e)}`);
  }
  if (answers.length === 0) throw new SafeFetchError('dns_failed', `${hostname}: no addresses`);
  return answers;
}

/** CIMD §6.5 (-01): MUST NOT fetch from special-use addresses (RFC 6890); any bad answer refuses the whole name. */
function vetAddresses(hostname: string, answers: ResolvedAddress[], opts: SafeFetchOptions, http: boolean): void {
  if (controlDisabled('cimd.address-blocking')) return;
  for (const a of answers) {
    const c = classifyAddressDetail(a.address);
    if (c.class === 'blocked' || (c.class === 'loopback' && !opts.allowLoopback)) {
      throw new SafeFetchError('address_blocked', `${hostname} resolves to ${a.address}: ${c.reason}`);
    }
    if (http && c.class !== 'loopback') throw new SafeFetchError('scheme_not_allowed', `http: only to loopback, not ${a.address}`);
  }
}

/** A lookup for net/tls.connect that answers only the address we resolved and vetted (no second DNS query). */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

async function fetchPinned(url: string, opts: SafeFetchOptions, signal: AbortSignal): Promise<SafeFetchResult> {
  const target = parseTarget(url, opts);
  const answers = await resolveOnce(target.hostname, opts, signal);
  vetAddresses(target.hostname, answers, opts, target.protocol === 'http:');
  const pinned = answers[0]!;
  // issue 9: undici loads at the first outbound fetch, not during start-up
  const { Agent, request } = await loadUndici();
  const agent = new Agent({
    connect: {
      lookup: pinnedLookup(pinned),
      timeout: opts.timeoutMs,
      // extra CAs are trusted in addition to the default ones; hostname verification is unchanged
      ...(opts.ca && opts.ca.length > 0 ? { ca: [...rootCertificates, ...opts.ca] } : {}),
    },
    connections: 1,
    pipelining: 0,
  });
  try {
    target.hash = '';
    const res = await request(target, {
      method: 'GET',
      dispatcher: agent,
      signal,
      headers: { accept: 'application/json', 'user-agent': 'portcullis' },
    });
    // CIMD §4 (-01): the AS MUST NOT follow redirects automatically.
    if (res.statusCode >= 300 && res.statusCode < 400) {
      discard(res.body);
      throw new SafeFetchError('redirect_refused', `${res.statusCode} from ${target.host}`);
    }
    const declared = Number(headerValue(res.headers['content-length']));
    // CIMD §6.6: the response size SHOULD be capped (5 KB recommended).
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      discard(res.body);
      throw new SafeFetchError('too_large', `content-length ${declared} > ${opts.maxBytes}`);
    }
    const body = await readCapped(res.body, opts.maxBytes);
    return { status: res.statusCode, headers: toHeaders(res.headers), body, address: pinned.address };
  } finally {
    agent.destroy().catch(() => undefined);
  }
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      discard(body);
      throw new SafeFetchError('too_large', `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Drop a response body unread; destroying it emits an abort error that nobody needs to see. */
function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

type RawHeaders = Record<string, string | string[] | undefined>;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function toHeaders(raw: RawHeaders): Headers {
  const h = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
  }
  return h;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const cause = e.cause instanceof Error ? `; ${e.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${e.message}${cause}`;
  }
  return String(e);
}
