import type { AsContext } from '../context.js';
import { errorPage } from '../pages/error.js';
import type { UpstreamIdp } from './settings.js';

/**
 * Why an upstream sign-in failed: logged and audited in full (login.upstream.failure), shown to the user as a page
 * — never a redirect to the MCP client, which learns nothing about the IdP (its authorization request stays open:
 * the user may try again or choose another way in).
 */
export type UpstreamFailureReason =
  | 'no_interaction'
  | 'state_missing'
  | 'state_unknown'
  | 'state_mismatch'
  | 'discovery_failed'
  | 'idp_error'
  | 'iss_mismatch'
  | 'tenant_missing'
  | 'tenant_not_allowed'
  | 'code_missing'
  | 'token_request_failed'
  | 'id_token_invalid'
  | 'nonce_mismatch'
  | 'aud_mismatch'
  | 'id_token_expired'
  | 'reauthentication_missing'
  | 'signature_invalid'
  | 'subject_missing'
  | 'email_unverified'
  | 'not_provisioned'
  | 'user_disabled'
  | 'provisioning_failed';

export interface FailureInfo {
  reason: UpstreamFailureReason;
  status: number;
  /** the IdP's `error` code (error responses only) */
  error?: string;
  /** Entra's AADSTS code from error_description, e.g. AADSTS9010010 */
  aadsts?: string;
  /** for the log and audit only */
  detail?: string;
  issuer?: string;
}

function userText(idp: UpstreamIdp, f: FailureInfo): { title: string; detail: string } {
  const name = idp.displayName;
  switch (f.reason) {
    case 'no_interaction':
    case 'state_missing':
    case 'state_unknown':
    case 'state_mismatch':
      return { title: 'This sign-in link is no longer valid', detail: 'It has expired, was already used, or was opened in another browser. Start again from the application.' };
    case 'discovery_failed':
      return { title: `${name} is not reachable`, detail: `Portcullis could not reach ${name}. Try again later, or ask your administrator.` };
    case 'idp_error':
      return { title: `${name} did not sign you in`, detail: `${name} answered "${f.error ?? 'error'}"${f.aadsts ? ` (${f.aadsts})` : ''}. Go back to try again or choose another way to sign in.` };
    case 'tenant_missing':
    case 'tenant_not_allowed':
      return { title: 'Your organization is not allowed here', detail: `Accounts of your organization at ${name} may not sign in to this server. Ask your administrator.` };
    case 'email_unverified':
      return { title: 'Email address not verified', detail: `${name} did not confirm your email address. Verify it there, then try again.` };
    case 'not_provisioned':
      return { title: 'No account here', detail: `Your ${name} account is not linked to a user of this server. Ask your administrator.` };
    case 'reauthentication_missing':
      return { title: `${name} did not ask you to sign in again`, detail: `The application asked for a fresh sign-in, and ${name} answered with an earlier one. Sign out of ${name}, then start again from the application.` };
    case 'user_disabled':
      return { title: 'Account disabled', detail: 'Your account on this server is disabled. Ask your administrator.' };
    default:
      return { title: `Sign-in through ${name} failed`, detail: `The answer from ${name} could not be verified. Start again from the application.` };
  }
}

export async function upstreamFailure(ctx: AsContext, idp: UpstreamIdp, f: FailureInfo): Promise<Response> {
  const data: { idp: string; reason: string; issuer?: string; error?: string; aadsts?: string; detail?: string } = { idp: idp.id, reason: f.reason };
  if (f.issuer) data.issuer = f.issuer;
  if (f.error) data.error = f.error.slice(0, 64);
  if (f.aadsts) data.aadsts = f.aadsts;
  if (f.detail) data.detail = f.detail.slice(0, 300);
  ctx.log.warn({ event: 'upstream_login_failed', ...data }, 'sign-in through an upstream IdP failed');
  await ctx.audit.record('login.upstream.failure', data);
  const t = userText(idp, f);
  return errorPage(ctx.settings, f.status, t.title, t.detail);
}

/** Entra puts its own code first in error_description ("AADSTS9010010: The resource parameter…") */
export function aadstsCode(description: string | null | undefined): string | undefined {
  return /\bAADSTS\d{4,8}\b/.exec(description ?? '')?.[0];
}
