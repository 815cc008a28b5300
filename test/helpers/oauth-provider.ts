import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider as OAuthClientProviderV1, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** The tokens as the SDK hands them to saveTokens (it stamps `issuer` on them), plus when we got them. */
export interface SavedTokens {
  tokens: OAuthTokens;
  savedAt: number;
}

export interface TestProviderOptions {
  /** the client's CIMD URL: its client_id (no registration, no other client configuration) */
  clientMetadataUrl: string;
  /** where the authorization server sends the browser back, e.g. `http://127.0.0.1:<port>/callback` */
  redirectUrl: string;
  clientName?: string;
  /**
   * Plays the user agent: called with the authorization URL the SDK built. Whatever it does (form posts, a real
   * browser), the callback parameters it produces are what the test then hands to `finishAuth`.
   */
  onRedirect: (authorizationUrl: URL) => Promise<void>;
}

/**
 * A minimal in-memory OAuthClientProvider, the shape both the SDK v1 (`@modelcontextprotocol/sdk`) and the SDK
 * v2 (`@modelcontextprotocol/client`) clients take. Its only configuration is `clientMetadataUrl` and the
 * redirect URL; it records what the SDK asked of it so the test can inspect the flow.
 */
export class TestOAuthProvider implements OAuthClientProviderV1 {
  readonly clientMetadataUrl: string;
  /** every authorization URL the SDK sent the user to */
  readonly authorizationUrls: URL[] = [];
  /** every token set the SDK saved, in order */
  readonly savedTokens: SavedTokens[] = [];
  /** every `state` the SDK put in an authorization request */
  readonly states: string[] = [];
  /** every invalidateCredentials() call (the SDK gives up on stored credentials: a sign something failed) */
  readonly invalidations: string[] = [];
  private clientInfo: OAuthClientInformationMixed | undefined;
  private current: OAuthTokens | undefined;
  private verifier: string | undefined;
  private discovery: OAuthDiscoveryState | undefined;

  constructor(private readonly opts: TestProviderOptions) {
    this.clientMetadataUrl = opts.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.opts.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.opts.clientName ?? 'Portcullis e2e test client',
      redirect_uris: [this.opts.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    const s = randomBytes(16).toString('base64url');
    this.states.push(s);
    return s;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.clientInfo;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.clientInfo = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.current;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.current = tokens;
    this.savedTokens.push({ tokens, savedAt: Date.now() });
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(new URL(authorizationUrl.href));
    await this.opts.onRedirect(authorizationUrl);
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no PKCE code verifier saved');
    return this.verifier;
  }

  /** kept alongside the verifier, so the v2 SDK can check the callback leg against the same AS (SEP-2352) */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.invalidations.push(scope);
    if (scope === 'all' || scope === 'client') this.clientInfo = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'tokens') this.current = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
}

/** The Client ID Metadata Document a loopback native client publishes for itself (CIMD §4.1). */
export function nativeClientDocument(clientId: string, clientName = 'Portcullis e2e test client'): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: clientName,
    // portless loopback redirect: the AS accepts any port (RFC 8252 §7.3)
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
