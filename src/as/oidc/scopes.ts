import type { ProtectedResource, Settings } from '../../config/resolve.js';
import { NO_IDENTITY } from '../../config/resolve.js';

/** OpenID Connect Core §5.4: the identity scopes this OpenID Provider serves (phone and address: no such data) */
export const OIDC_IDENTITY_SCOPES: readonly string[] = ['openid', 'profile', 'email'];
/** what an app signing in to Portcullis asks for (ARCHITECTURE "resource") */
export const OIDC_SCOPES: readonly string[] = [...OIDC_IDENTITY_SCOPES, 'offline_access'];
/** OpenID Connect Core §5.1 claims we can assert, per scope */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email'],
};

export const userinfoEndpoint = (settings: Settings): string => `${settings.issuer}/userinfo`;

/**
 * ARCHITECTURE "resource": a request for OIDC scopes only (`openid profile email offline_access`, with openid) is
 * an app signing in to Portcullis as its IdP; its tokens are never for an MCP resource. The scope is read raw
 * (invalid characters are reported later by the scope check, so the error order of /authorize is unchanged).
 */
export function isOidcOnlyScope(raw: string | undefined): boolean {
  const parts = (raw ?? '').split(' ').filter((s) => s !== '');
  return parts.includes('openid') && parts.every((s) => OIDC_SCOPES.includes(s));
}

/**
 * The target of such a sign-in: the UserInfo endpoint (OpenID Connect Core §5.3), shaped as a protected resource
 * so the authorization checks treat it like one. Its access tokens have aud = the UserInfo URL; the ID token's
 * aud is the client (OpenID Connect Core §2).
 */
export function userinfoTarget(settings: Settings): ProtectedResource {
  const id = userinfoEndpoint(settings);
  return {
    id,
    path: new URL(id).pathname,
    metadataUrl: '',
    metadataPath: '',
    upstream: undefined,
    name: 'Your profile (sign-in)',
    scopes: [...OIDC_IDENTITY_SCOPES],
    tools: {},
    prompts: {},
    mcpResources: {},
    scopeImplies: {},
    unlisted: 'deny',
    identity: NO_IDENTITY,
  };
}
