import { sha256 } from '../../core/random.js';

/** The metadata whose change matters for security (CIMD §6.3); consent is remembered per fingerprint of it. */
export interface VersionedMetadata {
  redirect_uris: readonly string[];
  token_endpoint_auth_method: string;
  grant_types: readonly string[];
  jwks: unknown;
  jwks_uri: string | null;
  client_name: string | null;
  logo_uri: string | null;
  scope: string | null;
}

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** SHA-256 (base64url) of the canonical JSON of the security-relevant fields. */
export function metadataVersion(m: VersionedMetadata): string {
  return sha256(
    canonicalJson({
      redirect_uris: m.redirect_uris,
      token_endpoint_auth_method: m.token_endpoint_auth_method,
      grant_types: m.grant_types,
      jwks: m.jwks ?? null,
      jwks_uri: m.jwks_uri,
      client_name: m.client_name,
      logo_uri: m.logo_uri,
      scope: m.scope,
    }),
  );
}

/** Members that only a private (or symmetric) JWK carries (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
