import type { OAuthClient } from '../clients/types.js';

/**
 * Host patterns of the `trust` and `registration` config sections: an exact host (`app.example.com`,
 * `127.0.0.1`, `[::1]`), or `*.example.com` — any subdomain of example.com at any depth, not example.com itself
 * (list both to allow both). Case-insensitive; a trailing dot is ignored; ports are not part of a host.
 */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const h = normalizeHost(host);
  return patterns.some((p) => {
    const pattern = normalizeHost(p);
    return pattern.startsWith('*.') ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern;
  });
}

const normalizeHost = (h: string): string => h.toLowerCase().replace(/\.$/, '');

/** Host of an absolute URL as it is matched (URL.hostname: IPv6 literals keep their brackets), or null. */
export function urlHost(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/**
 * The hosts a client is judged by (issue 3): a CIMD client by the host of its client_id URL (CIMD §6.4: the
 * identity users are shown); a registered client by the hosts of its redirect URIs (it has no URL of its own).
 * Static clients are configured by the administrator and are not subject to the trust policy: [].
 */
export function clientHosts(client: Pick<OAuthClient, 'kind' | 'client_id' | 'redirect_uris'>): string[] {
  if (client.kind === 'static') return [];
  const urls = client.kind === 'cimd' ? [client.client_id] : client.redirect_uris;
  return [...new Set(urls.map(urlHost).filter((h): h is string => h !== null).map(normalizeHost))];
}
