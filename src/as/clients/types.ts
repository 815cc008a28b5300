import type { JSONWebKeySet } from 'jose';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A client as the AS sees it, whichever way it is known (static config, Client ID Metadata Document, RFC 7591). */
export interface OAuthClient {
  client_id: string;
  kind: 'static' | 'cimd' | 'dcr';
  client_name: string | null;
  client_uri: string | null;
  logo_uri: string | null;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** grants this client may use, already intersected with what the AS supports */
  grant_types: string[];
  jwks: JSONWebKeySet | null;
  jwks_uri: string | null;
  /** static clients with client_secret_* only: SHA-256 of the secret */
  client_secret_hash: string | null;
  /** scopes the client may ever hold (null = no client-level limit) */
  allowed_scopes: string[] | null;
  /** fingerprint of the metadata; consent is remembered per version */
  version: string;
  /** every redirect URI is loopback (any local program can claim such a client) */
  loopback_only: boolean;
  /** the metadata as fetched (CIMD) or registered (DCR): the snapshot a trust decision is made on */
  document?: Record<string, unknown>;
}

/** Why a client could not be resolved. Goes to logs/audit; the wire sees a generic error. */
export type ClientResolutionFailure =
  | { reason: 'unknown_client' }
  | { reason: 'cimd_url_invalid'; detail: string }
  | { reason: 'cimd_fetch_failed'; detail: string }
  | { reason: 'cimd_document_invalid'; detail: string }
  /** a registered (RFC 7591) client past registration.client_ttl_days */
  | { reason: 'registration_expired' }
  /** refused by the trust policy before anything was fetched (CIMD §3.3 step 2) */
  | { reason: 'denied_by_policy'; detail: string };

export class ClientResolutionError extends Error {
  constructor(readonly failure: ClientResolutionFailure) {
    super('detail' in failure ? `${failure.reason}: ${failure.detail}` : failure.reason);
    this.name = 'ClientResolutionError';
  }
}

export interface ClientResolver {
  /** throws ClientResolutionError */
  resolve(client_id: string): Promise<OAuthClient>;
}
