import ipaddr from 'ipaddr.js';
import { ConfigError } from '../../core/errors.js';

export type CheckResult = 'ok' | string;

export interface ReadinessChecks {
  /** the store answers a trivial query */
  store(): Promise<void>;
  /** the key ring holds an active signing key */
  keys(): void;
  /** true once shutdown began: readiness fails first, so load balancers stop sending traffic */
  draining(): boolean;
}

export interface ReadyReport {
  ready: boolean;
  status: 'ok' | 'unavailable' | 'draining';
  checks: Record<string, CheckResult>;
  /** the failing checks, named */
  failing: string[];
}

const STORE_TIMEOUT_MS = 2000;

/** GET /readyz: store reachable and keys loaded, and not shutting down (issue 6 "Operations"). */
export async function readiness(c: ReadinessChecks): Promise<ReadyReport> {
  if (c.draining()) return { ready: false, status: 'draining', checks: { shutdown: 'draining' }, failing: ['shutdown'] };
  const checks: Record<string, CheckResult> = {};
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
    });
    await Promise.race([c.store(), timeout]).finally(() => clearTimeout(timer));
    checks.store = 'ok';
  } catch (e) {
    checks.store = `unavailable: ${e instanceof Error ? e.message : String(e)}`.slice(0, 200);
  }
  try {
    c.keys();
    checks.keys = 'ok';
  } catch {
    checks.keys = 'no active signing key';
  }
  const failing = Object.keys(checks).filter((k) => checks[k] !== 'ok');
  return { ready: failing.length === 0, status: failing.length === 0 ? 'ok' : 'unavailable', checks, failing };
}

/** `allow_from` CIDRs → a predicate on the TCP peer address (IPv4-mapped IPv6 peers match IPv4 ranges). */
export function peerAllowList(cidrs: readonly string[], option = 'metrics.allow_from'): (address: string | undefined) => boolean {
  const ranges = cidrs.map((cidr) => {
    try {
      return ipaddr.parseCIDR(cidr);
    } catch {
      throw new ConfigError(option, `${cidr} is not a CIDR range (e.g. 10.0.0.0/8, ::1/128)`);
    }
  });
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false;
    let addr = ipaddr.parse(address);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };
}
