/** Outbound HTTP for URLs a client supplies (CIMD, jwks_uri, logo_uri). See safe-fetch.ts. */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS resolver, injectable so tests can simulate DNS answers and rebinding offline. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface SafeFetchOptions {
  /** allow loopback targets (only in --dev); private ranges stay refused */
  allowLoopback: boolean;
  maxBytes: number; // default 5120
  timeoutMs: number; // default 5000
  resolver?: Resolver;
  /** extra CA certificates (PEM) trusted for TLS, in addition to the system's */
  ca?: string[];
  /** allow http: scheme (only for loopback in dev); default false */
  allowHttp?: boolean;
}

export interface SafeFetchResult {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** the pinned IP address actually connected to */
  address: string;
}

export type SafeFetchFailureReason =
  | 'bad_url'
  | 'scheme_not_allowed'
  | 'dns_failed'
  | 'address_blocked'
  | 'redirect_refused'
  | 'too_large'
  | 'timeout'
  | 'network_error';

export class SafeFetchError extends Error {
  constructor(readonly reason: SafeFetchFailureReason, detail: string) {
    super(`${reason}: ${detail}`);
    this.name = 'SafeFetchError';
  }
}
