import { TENANT_PLACEHOLDER, type UpstreamIdp } from './settings.js';

/**
 * Which issuer an upstream answer may come from — pure rules, no I/O. Most IdPs have one issuer, compared exactly.
 * Entra's multi-tenant endpoints (`/common`, `/organizations`) publish the template
 * `https://login.microsoftonline.com/{tenantid}/v2.0`: a token is from a real tenant, so its `iss` must equal the
 * template with the token's own `tid` put in, and that `tid` must be allowed — otherwise any Entra tenant in the
 * world could sign in (the multi-tenant issuer-validation pitfall). v1 tokens (`https://sts.windows.net/<tid>/`)
 * only when configured.
 */

export const isTemplated = (issuer: string): boolean => issuer.includes(TENANT_PLACEHOLDER);

/** a tenant id as Entra writes it (a GUID); anything that could change the issuer's shape is refused */
const TENANT_ID = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;

export type IssuerCheck = { ok: true; issuer: string; tenant: string | null } | { ok: false; reason: 'iss_mismatch' | 'tenant_missing' | 'tenant_not_allowed' };

function tenantAllowed(idp: UpstreamIdp, tid: string): boolean {
  const allowed = idp.config.allowed_tenants;
  return allowed.includes('*') || allowed.includes(tid);
}

/**
 * The issuer an ID token must carry, given its claims: `discovered` is the metadata's `issuer` (maybe a template).
 * The caller still has oauth4webapi compare `iss` (and everything else) against the issuer returned here.
 */
export function idTokenIssuer(idp: UpstreamIdp, discovered: string, claims: { iss?: unknown; tid?: unknown }): IssuerCheck {
  const tid = typeof claims.tid === 'string' && TENANT_ID.test(claims.tid) ? claims.tid : null;
  if (!isTemplated(discovered)) {
    if (claims.iss !== discovered) return { ok: false, reason: 'iss_mismatch' };
    // a single-tenant issuer names its tenant already; allowed_tenants, when given, is checked too
    if (idp.config.allowed_tenants.length > 0) {
      if (!tid) return { ok: false, reason: 'tenant_missing' };
      if (!tenantAllowed(idp, tid)) return { ok: false, reason: 'tenant_not_allowed' };
    }
    return { ok: true, issuer: discovered, tenant: tid };
  }
  if (!tid) return { ok: false, reason: 'tenant_missing' };
  const v2 = discovered.replace(TENANT_PLACEHOLDER, tid);
  const v1 = `https://sts.windows.net/${tid}/`;
  const matches = claims.iss === v2 || (idp.config.accept_v1_issuer && claims.iss === v1);
  if (!matches) return { ok: false, reason: 'iss_mismatch' };
  if (!tenantAllowed(idp, tid)) return { ok: false, reason: 'tenant_not_allowed' };
  return { ok: true, issuer: claims.iss as string, tenant: tid };
}

/**
 * RFC 9207 §2.4: the `iss` of the authorization response. Exact for an ordinary issuer; for a template it must be
 * the template with an allowed tenant (the ID token's `iss` is then required to be the very same value).
 * `null` iss: allowed unless the IdP advertises `authorization_response_iss_parameter_supported`.
 */
export function authorizationResponseIssuer(idp: UpstreamIdp, discovered: string, iss: string | null, advertised: boolean): IssuerCheck {
  if (iss === null) return advertised ? { ok: false, reason: 'iss_mismatch' } : { ok: true, issuer: discovered, tenant: null };
  if (!isTemplated(discovered)) return iss === discovered ? { ok: true, issuer: iss, tenant: null } : { ok: false, reason: 'iss_mismatch' };
  const [prefix, suffix] = discovered.split(TENANT_PLACEHOLDER) as [string, string];
  if (!iss.startsWith(prefix) || !iss.endsWith(suffix) || iss.length <= prefix.length + suffix.length) return { ok: false, reason: 'iss_mismatch' };
  const tid = iss.slice(prefix.length, iss.length - suffix.length);
  if (!TENANT_ID.test(tid)) return { ok: false, reason: 'iss_mismatch' };
  if (!tenantAllowed(idp, tid)) return { ok: false, reason: 'tenant_not_allowed' };
  return { ok: true, issuer: iss, tenant: tid };
}
