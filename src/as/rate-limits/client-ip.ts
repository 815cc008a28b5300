import ipaddr from 'ipaddr.js';
import { ConfigError } from '../../core/errors.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
export type TrustedProxies = ReadonlyArray<readonly [Addr, number]>;

/**
 * The client as the rate limits see it: `ip` for logs, `bucket` for keys (IPv6 by /64, see `bucketOf`); bucket
 * null when there is no socket (an embedder's or a test's in-process fetch): per-IP limits cannot attribute such
 * a request, and one shared "unknown" bucket would let anyone lock everyone out.
 */
export interface ClientAddress {
  ip: string;
  bucket: string | null;
}

/** `rate_limits.trusted_proxies`: CIDRs or bare addresses; anything else fails at start-up naming the option. */
export function parseTrustedProxies(list: readonly string[], option = 'rate_limits.trusted_proxies'): TrustedProxies {
  return list.map((entry) => {
    const s = entry.trim();
    if (ipaddr.isValidCIDR(s)) {
      const [addr, bits] = ipaddr.parseCIDR(s);
      return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? ([(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] as const) : ([addr, bits] as const);
    }
    const addr = parseAddress(s);
    if (!addr) throw new ConfigError(option, `${JSON.stringify(entry)} is neither a CIDR (10.0.0.0/8, fd00::/8) nor an IP address`);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128] as const;
  });
}

/**
 * One address as written by a socket or a proxy: IPv4 in four-part decimal only (no `127.1`, no hex), IPv6 with or
 * without brackets; a `:port` suffix is dropped and IPv4-mapped IPv6 becomes the IPv4 address. Else null.
 */
export function parseAddress(raw: string): Addr | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (!ipaddr.IPv6.isValid(s)) return null;
  const v6 = ipaddr.IPv6.parse(s);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

const trusts = (trusted: TrustedProxies, addr: Addr): boolean => trusted.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));

/**
 * The client's address (issue 6 item 4): the TCP peer; or, when the peer is a trusted proxy, the right-most
 * address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it received
 * from, so only entries right of the first untrusted one were written by proxies we trust; anything to its left
 * is whatever the client chose to send). Every entry trusted: the left-most. A malformed entry ends the walk at
 * the last trusted hop, so garbage from a client never becomes a fresh bucket per request.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | null, trusted: TrustedProxies): ClientAddress {
  if (peer === undefined) return { ip: 'unknown', bucket: null };
  const peerAddr = parseAddress(peer);
  if (!peerAddr) return { ip: peer, bucket: `raw:${peer}` };
  let current = peerAddr;
  if (trusted.length > 0 && forwardedFor && trusts(trusted, peerAddr)) {
    const hops = forwardedFor.split(',').map((h) => h.trim()).filter((h) => h !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const next = parseAddress(hops[i]!);
      if (!next) break;
      current = next;
      if (!trusts(trusted, next)) break;
    }
  }
  return { ip: current.toString(), bucket: bucketOf(current) };
}

/**
 * The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a whole /64, so
 * per-address buckets would let one host rotate through 2^64 of them).
 */
export function bucketOf(addr: Addr): string {
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toRFC5952String()}/64`;
}

/** @hono/node-server puts the node request in `env.incoming`: its socket's peer address, when there is one. */
export function peerAddress(env: unknown): string | undefined {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}
