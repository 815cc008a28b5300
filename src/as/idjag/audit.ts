import type { OAuthError } from '../../core/errors.js';
import type { AsContext } from '../context.js';
import type { IdJagReason } from './verify.js';

// Issue 4: the ID-JAG decisions, added to the audit event types by declaration merging (src/audit/types.ts).
declare module '../../audit/types.js' {
  interface AuditEvents {
    /** an ID-JAG accepted at /token: whose (iss, sub), which assertion (jti), what was granted */
    'idjag.accepted': { iss: string; sub: string; jti: string; resource: string; scope: string[]; grant_id: string; user: 'linked' | 'link' | 'provision' };
    /** an ID-JAG (or a jwt-bearer request) refused, with the internal reason the wire never sees */
    'idjag.rejected': { reason: IdJagReason | 'client_auth' | 'request'; error: string; detail: string; iss?: string; jti?: string; sub?: string };
  }
}

/** Audits a refused jwt-bearer request (spec-checklist §4.5: every rejection audited with its reason). */
export async function auditRejection(
  ctx: AsContext,
  e: OAuthError,
  reason: IdJagReason | 'client_auth' | 'request',
  claims: { iss?: string; jti?: string; sub?: string },
  client_id: string | null,
): Promise<void> {
  const detail = (e.internal ?? e.description ?? e.code).slice(0, 500);
  ctx.log.info({ event: 'idjag_rejected', reason, error: e.code, detail, iss: claims.iss, jti: claims.jti, client_id }, 'ID-JAG refused');
  await ctx.audit.record('idjag.rejected', { reason, error: e.code, detail, ...claims }, { client_id, subject: claims.iss ?? null });
}
