/**
 * The OAuth client the `--login` phase acts as, on oauth4webapi: the AS from the recorded metadata, the client
 * (given, or registered by DCR when offered), and request options that record every exchange through the recorder.
 */
import * as oauth from 'oauth4webapi';
import { asMetadataDoc } from '../wire.js';
import { isLoopbackHttp } from './callback.js';
import type { ClientConfig } from './client.js';
import type { Recorder } from './recorder.js';

export interface OAuthContext {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  config: ClientConfig;
  /** request options that record the exchange under `key` (http allowed for loopback endpoints only) */
  opts(key: string, extra?: Record<string, string>): oauth.TokenEndpointRequestOptions;
}

export function oauthContext(rec: Recorder, config: ClientConfig): OAuthContext | undefined {
  const meta = asMetadataDoc(rec.obs);
  if (!meta || typeof meta.issuer !== 'string') return undefined;
  const as = meta as unknown as oauth.AuthorizationServer;
  const methods = Array.isArray(meta.token_endpoint_auth_methods_supported) ? meta.token_endpoint_auth_methods_supported : [];
  const auth = !config.secret ? oauth.None() : methods.includes('client_secret_post') && !methods.includes('client_secret_basic') ? oauth.ClientSecretPost(config.secret) : oauth.ClientSecretBasic(config.secret);
  rec.secret(config.secret, 'client secret');
  rec.fact('client.auth', config.secret ? 'secret' : 'none');
  return {
    as,
    client: { client_id: config.id },
    auth,
    config,
    opts: (key, extra) => ({
      [oauth.customFetch]: rec.fetchFor(key, 'AS'),
      ...(isLoopbackHttp(String(as.token_endpoint ?? as.issuer)) ? { [oauth.allowInsecureRequests]: true } : {}),
      ...(extra ? { additionalParameters: extra } : {}),
    }),
  };
}

/** MCP [REG] priority: the given client, else DCR when a registration_endpoint is offered (deprecated, but supported). */
export async function registerClient(rec: Recorder, redirectUri: string): Promise<ClientConfig | undefined> {
  const meta = asMetadataDoc(rec.obs);
  if (!meta || typeof meta.registration_endpoint !== 'string') {
    rec.note('login.callback', 'no client to log in as: pass --client-id (a CIMD URL or a pre-registered id); the AS offers no registration_endpoint');
    return undefined;
  }
  rec.progress('registering a client (RFC 7591 dynamic client registration)');
  const as = meta as unknown as oauth.AuthorizationServer;
  try {
    const res = await oauth.dynamicClientRegistrationRequest(
      as,
      { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], application_type: 'native', client_name: 'portcullis check' },
      { [oauth.customFetch]: rec.fetchFor('login.register', 'AS'), ...(isLoopbackHttp(as.registration_endpoint!) ? { [oauth.allowInsecureRequests]: true } : {}) },
    );
    const client = await oauth.processDynamicClientRegistrationResponse(res);
    rec.fact('client.source', 'dcr');
    return { id: client.client_id, ...(typeof client.client_secret === 'string' ? { secret: client.client_secret } : {}), redirectUri };
  } catch (e) {
    rec.note('login.callback', `dynamic client registration failed (${e instanceof Error ? e.message : String(e)}): pass --client-id`);
    return undefined;
  }
}
