import type { Settings } from '../../../config/resolve.js';
import { registrationEndpointUrl } from '../register/index.js';
import { CLIENT_ASSERTION_ALGS, DEVICE_CODE_GRANT, SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES } from '../../context.js';
import { deviceSettings, deviceUrls } from '../device/settings.js';
import { issuanceEnabled, TOKEN_EXCHANGE_GRANT } from '../../../config/idjag-issuance-schema.js';
import { openIdProviderMetadata } from '../../oidc/discovery.js';
import { OIDC_IDENTITY_SCOPES } from '../../oidc/scopes.js';
import { idjagEnabled } from '../../idjag/config.js';
import { IDJAG_GRANT_PROFILE, JWT_BEARER_GRANT_TYPE } from '../../idjag/constants.js';

const INTROSPECTION_AUTH_METHODS = SUPPORTED_AUTH_METHODS.filter((m) => m !== 'none');

/** RFC 8414 §2 authorization server metadata (also served as OIDC discovery). */
export function authorizationServerMetadata(settings: Settings): Record<string, unknown> {
  const scopes = [...new Set(settings.resources.flatMap((r) => r.scopes))];
  return {
    issuer: settings.issuer,
    authorization_endpoint: settings.endpoints.authorization,
    token_endpoint: settings.endpoints.token,
    jwks_uri: settings.endpoints.jwks,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // ID-JAG §7.1: token exchange only where ID-JAG issuance is configured
    // RFC 8628 §4: the device_code grant and its endpoint while device.enabled
    grant_types_supported: SUPPORTED_GRANT_TYPES.filter((g) => g !== TOKEN_EXCHANGE_GRANT || issuanceEnabled(settings.config)).filter((g) => g !== JWT_BEARER_GRANT_TYPE || idjagEnabled(settings.config)).filter((g) => g !== DEVICE_CODE_GRANT || deviceSettings(settings.config).enabled),
    // MCP [SEC] "Authorization Code Protection": MUST be present; S256 only (plain refused).
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    // RFC 7009 §2 / RFC 8414 §2: public clients revoke with their client_id alone, as at /token
    revocation_endpoint: settings.endpoints.revocation,
    revocation_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    // RFC 7662 §2.1 / RFC 8414 §2: callers must authenticate, so no "none"
    introspection_endpoint: settings.endpoints.introspection,
    introspection_endpoint_auth_methods_supported: INTROSPECTION_AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGS],
    scopes_supported: [...scopes, ...OIDC_IDENTITY_SCOPES, 'offline_access'],
    // RFC 7591 §3 / RFC 8414 §2: only when registration is on (issue 3: a controlled exception)
    ...(registrationEndpointUrl(settings) ? { registration_endpoint: registrationEndpointUrl(settings) } : {}),
    ...(deviceSettings(settings.config).enabled ? { device_authorization_endpoint: deviceUrls(settings).device_authorization } : {}),
    // CIMD §5 / MCP [REG] "Advertising CIMD Support"
    client_id_metadata_document_supported: settings.config.cimd.enabled,
    // RFC 9207 §2.3: we send iss on every authorization response
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    // RFC 9728 §4 (optional): the resources this AS issues tokens for
    protected_resources: settings.resources.map((r) => r.id),
    // ID-JAG §7.2 / [EMA] §6: only when an IdP is trusted; never the list of trusted issuers (ID-JAG §8.4)
    ...(idjagEnabled(settings.config) ? { authorization_grant_profiles_supported: [IDJAG_GRANT_PROFILE] } : {}),
    // OpenID Connect Discovery §3 (userinfo, ID token algs, claims) and ID-JAG §7.1
    ...openIdProviderMetadata(settings),
  };
}

/**
 * Where the metadata is served (RFC 8414 §3.1 path insertion; OIDC Discovery path append for issuers
 * with a path, and the inserted form too, which MCP clients try second).
 */
export function metadataPaths(settings: Settings): string[] {
  const p = settings.issuerPath;
  const paths = [`/.well-known/oauth-authorization-server${p}`, `/.well-known/openid-configuration${p}`];
  if (p) paths.push(`${p}/.well-known/openid-configuration`, `${p}/.well-known/oauth-authorization-server`);
  return paths;
}
