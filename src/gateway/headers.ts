/**
 * Header rewriting at the proxy boundary (RFC 9110 §7.6.1 hop-by-hop fields; spec-checklist §5.3).
 */

import { controlDisabled } from '../core/controls.js';

// RFC 9110 §7.6.1 and the de-facto set every proxy strips (keep-alive, proxy-connection from RFC 2068 days).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Hop-by-hop: the fixed set, any proxy-* field, and the fields the Connection header names. */
function hopByHopFilter(connection: string | null | undefined): (name: string) => boolean {
  const named = new Set(
    (connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  return (name) => HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named.has(name);
}

/** Never forwarded upstream, on top of hop-by-hop fields. */
const DROP_UPSTREAM = new Set([
  // MCP [SEC]/[BP] "Token Passthrough": the client's token MUST NOT reach the upstream server.
  'authorization',
  // Portcullis's own cookies (login session, CSRF) are credentials for this origin, not for the upstream.
  'cookie',
  'host', // set to the upstream's below
  // MCP [HTTP] "Security": the gateway validates Origin itself; the upstream sees a same-host server-side request,
  // so an upstream that only admits loopback origins does not refuse a browser origin the operator allowed.
  'origin',
  'content-length', // recomputed for the forwarded body
  'expect', // 100-continue is a hop concern; the body is already read
  // forwarding metadata is ours to set: without a trusted-proxy setting, inbound values are client-controlled
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
]);

export interface ForwardedInfo {
  /** the client's address, when the server adapter exposes it */
  for: string | undefined;
  /** public scheme and host of the MCP endpoint (from the resource identifier) */
  proto: string;
  host: string;
}

/** Headers for the upstream request; `drop`: lowercased names the upstream identity sets (issue 7 item 3). */
export function upstreamRequestHeaders(incoming: Headers, upstream: URL, fwd: ForwardedInfo, drop: ReadonlySet<string> = new Set()): Record<string, string> {
  const isHop = hopByHopFilter(incoming.get('connection'));
  const out: Record<string, string> = {};
  for (const [name, value] of incoming) {
    if (isHop(name) || (DROP_UPSTREAM.has(name) && !(name === 'authorization' && controlDisabled('gw.token-strip'))) || drop.has(name)) continue;
    out[name] = value;
  }
  out.host = upstream.host;
  if (fwd.for) out['x-forwarded-for'] = fwd.for;
  out['x-forwarded-proto'] = fwd.proto;
  out['x-forwarded-host'] = fwd.host;
  return out;
}

export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/**
 * Headers for the client from the upstream's. Besides hop-by-hop fields we drop `set-cookie` (the upstream shares
 * our origin: a cookie from it could shadow Portcullis's session or CSRF cookies) and the upstream's own
 * `access-control-*` (CORS is the gateway's policy, applied afterwards).
 */
export function downstreamResponseHeaders(upstream: UpstreamHeaders): Headers {
  const connection = upstream.connection;
  const isHop = hopByHopFilter(Array.isArray(connection) ? connection.join(',') : connection);
  const out = new Headers();
  for (const [rawName, value] of Object.entries(upstream)) {
    const name = rawName.toLowerCase();
    if (value === undefined || isHop(name) || name === 'set-cookie' || name.startsWith('access-control-')) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}
