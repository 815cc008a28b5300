import { ConfigError } from '../core/errors.js';
import { isLoopbackHost } from '../core/urls.js';

/**
 * MCP [HTTP] "Security Warning": servers MUST validate `Origin` and answer 403 to an invalid one (DNS rebinding).
 * Passes: no Origin (not a browser), a configured origin, the issuer's own origin, and in dev any http(s)
 * loopback origin. Everything else, including the opaque origin `null`, is refused.
 */
export type OriginCheck = (origin: string) => boolean;

export interface OriginPolicyOptions {
  /** settings.config.cors.allowed_origins */
  allowedOrigins: readonly string[];
  dev: boolean;
  issuer: string;
}

export function createOriginCheck(o: OriginPolicyOptions): OriginCheck {
  const allowed = new Set<string>([new URL(o.issuer).origin]);
  o.allowedOrigins.forEach((entry, i) => allowed.add(configuredOrigin(entry, i)));
  return (origin) => {
    const parsed = parseOrigin(origin);
    if (parsed === undefined) return false;
    if (allowed.has(parsed.origin)) return true;
    return o.dev && isLoopbackHost(parsed.hostname);
  };
}

/** Misconfiguration fails at start-up, naming the option (ARCHITECTURE "Two error channels"). */
function configuredOrigin(entry: string, i: number): string {
  const parsed = parseOrigin(entry.replace(/\/$/, ''));
  if (parsed === undefined) {
    throw new ConfigError(`cors.allowed_origins[${i}]`, `"${entry}" is not an http(s) origin like https://app.example.com`);
  }
  return parsed.origin;
}

function parseOrigin(s: string): { origin: string; hostname: string } | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  // an Origin is scheme://host[:port] and nothing else
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) return undefined;
  if (s.endsWith('/')) return undefined;
  return { origin: u.origin, hostname: u.hostname };
}
