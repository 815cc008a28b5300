import type { Settings } from '../../config/resolve.js';
import { issuanceEnabled } from '../../config/idjag-issuance-schema.js';
import { ID_JAG_TOKEN_TYPE } from '../grants/token_exchange.js';
import { PROMPT_VALUES } from '../endpoints/authorize/check-prompt.js';
import { SCOPE_CLAIMS, userinfoEndpoint } from './scopes.js';

/**
 * OpenID Connect Discovery 1.0 §3 members and `prompt_values_supported` (the document is served at
 * /.well-known/openid-configuration too), and ID-JAG §7.1 `identity_chaining_requested_token_types_supported` when ID-JAG issuance is configured.
 */
export function openIdProviderMetadata(settings: Settings): Record<string, unknown> {
  return {
    userinfo_endpoint: userinfoEndpoint(settings),
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: ['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', ...new Set(Object.values(SCOPE_CLAIMS).flat())],
    // OpenID Connect Prompt Create 1.0 §4.1 (the values of OIDC Core §3.1.2.1 this server honours)
    prompt_values_supported: [...PROMPT_VALUES],
    ...(issuanceEnabled(settings.config) ? { identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE] } : {}),
  };
}
