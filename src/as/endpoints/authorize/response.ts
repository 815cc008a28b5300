import { controlDisabled } from '../../../core/controls.js';
import { OAuthError, safeDescription, wireCode } from '../../../core/errors.js';
import type { AsContext } from '../../context.js';

/** An authorization response: code or error, state echoed, iss always (RFC 9207 §2). */
export function authorizationResponseUrl(ctx: AsContext, redirect_uri: string, values: Record<string, string | null | undefined>): string {
  const u = new URL(redirect_uri);
  for (const [k, v] of Object.entries(values)) if (v != null) u.searchParams.append(k, v);
  if (!controlDisabled('authz.iss-in-response')) u.searchParams.append('iss', ctx.settings.issuer);
  return u.toString();
}

export function redirectWithError(ctx: AsContext, redirect_uri: string, e: OAuthError, state: string | null | undefined): Response {
  const location = authorizationResponseUrl(ctx, redirect_uri, {
    error: wireCode(e.code),
    error_description: e.description ? safeDescription(e.description) : undefined,
    state,
  });
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}
