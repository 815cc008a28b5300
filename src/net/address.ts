import ipaddr from 'ipaddr.js';

/**
 * Address classes for client-supplied URLs (CIMD, jwks_uri, logo_uri): CIMD §6.5 (-01) says the AS MUST NOT
 * fetch a URL that resolves to a special-use address (RFC 6890 and the IANA special-purpose registries).
 * Default-deny: an IPv6 address outside 2000::/3 (global unicast, RFC 4291 §2.4) is refused, and embedded IPv4
 * addresses (mapped, NAT64, 6to4) are classified as the IPv4 address they carry.
 */
export type AddressClass = 'ok' | 'loopback' | 'blocked';

type Range = readonly [cidr: string, label: string];

const V4_LOOPBACK: Range = ['127.0.0.0/8', 'loopback (RFC 1122)'];
const V4_BLOCKED: readonly Range[] = [
  ['0.0.0.0/8', '"this network" (RFC 791)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared address space / CGNAT (RFC 6598)'],
  ['169.254.0.0/16', 'link local (RFC 3927)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved and limited broadcast (RFC 1112, RFC 919)'],
];

const V6_BLOCKED: readonly Range[] = [
  ['64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'],
  ['2001::/23', 'IETF protocol assignments incl. Teredo, benchmarking, ORCHID (RFC 2928, 4380, 5180)'],
  ['2001:db8::/32', 'documentation (RFC 3849)'],
  ['3fff::/20', 'documentation (RFC 9637)'],
];

const parsedV4 = V4_BLOCKED.map(([c, label]) => [ipaddr.IPv4.parseCIDR(c), label] as const);
const parsedV6 = V6_BLOCKED.map(([c, label]) => [ipaddr.IPv6.parseCIDR(c), label] as const);
const v4Loopback = ipaddr.IPv4.parseCIDR(V4_LOOPBACK[0]);
const globalUnicast = ipaddr.IPv6.parseCIDR('2000::/3');
const nat64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const sixToFour = ipaddr.IPv6.parseCIDR('2002::/16');

export interface Classification {
  class: AddressClass;
  /** why (for logs): the range that matched */
  reason: string;
}

function classifyV4(ip: ipaddr.IPv4): Classification {
  if (ip.match(v4Loopback)) return { class: 'loopback', reason: V4_LOOPBACK[1] };
  for (const [range, label] of parsedV4) if (ip.match(range)) return { class: 'blocked', reason: label };
  return { class: 'ok', reason: 'global unicast' };
}

/** An IPv4 address carried inside an IPv6 one is acceptable only when that IPv4 address is a public one. */
function embedded(v4: ipaddr.IPv4, via: string): Classification {
  const c = classifyV4(v4);
  return c.class === 'ok' ? c : { class: 'blocked', reason: `${via} of ${c.reason}` };
}

function classifyV6(ip: ipaddr.IPv6): Classification {
  // RFC 4291 §2.5.5.2: IPv4-mapped; classified as the IPv4 address (so ::ffff:127.0.0.1 is loopback).
  if (ip.isIPv4MappedAddress()) return classifyV4(ip.toIPv4Address());
  if (ip.range() === 'loopback') return { class: 'loopback', reason: 'loopback (RFC 4291)' };
  // RFC 6052 well-known NAT64 prefix: reaches whatever IPv4 address it embeds.
  if (ip.match(nat64)) return embedded(v4From(ip.parts[6]!, ip.parts[7]!), 'NAT64');
  // RFC 3056 6to4: 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
  if (ip.match(sixToFour)) {
    return embedded(v4From(ip.parts[1]!, ip.parts[2]!), '6to4');
  }
  for (const [range, label] of parsedV6) if (ip.match(range)) return { class: 'blocked', reason: label };
  // Everything else outside global unicast: unspecified, IPv4-compatible, discard, ULA, link/site local, multicast…
  if (!ip.match(globalUnicast)) return { class: 'blocked', reason: `outside global unicast (${ip.range()})` };
  return { class: 'ok', reason: 'global unicast' };
}

/** Two 16-bit IPv6 groups as one IPv4 address. */
function v4From(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
}

/** Classify one IP address (v4 or v6, zone id allowed). Anything that does not parse is blocked. */
export function classifyAddressDetail(ip: string): Classification {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // parse strictly: four-part decimal for IPv4 (no octal/hex/short forms), any valid IPv6 text
    if (ipaddr.IPv4.isValidFourPartDecimal(bare)) addr = ipaddr.IPv4.parse(bare);
    else if (ipaddr.IPv6.isValid(bare)) addr = ipaddr.IPv6.parse(bare);
    else return { class: 'blocked', reason: 'not an IP address' };
  } catch {
    return { class: 'blocked', reason: 'not an IP address' };
  }
  return addr.kind() === 'ipv4' ? classifyV4(addr as ipaddr.IPv4) : classifyV6(addr as ipaddr.IPv6);
}

/** 'ok' (public unicast), 'loopback' (acceptable only in --dev), or 'blocked' (special-use, RFC 6890). */
export function classifyAddress(ip: string): AddressClass {
  return classifyAddressDetail(ip).class;
}
