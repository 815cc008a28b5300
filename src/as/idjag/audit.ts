import type { OAuthError } from '../../core/errors.js';
import type { AsContext } from '../context.js';
import type { IdJagReason } from './verify.js';

// Issue 4: the ID-JAG decisions (`idjag.accepted`, `idjag.rejected`) are audit event types of src/audit/types.ts.

/** Audits a refused jwt-bearer request (spec-checklist §4.5: every rejection audited with its reason). */
export async function auditRejection(
  ctx: AsContext,
  e: OAuthError,
  reason: IdJagReason | 'client_auth' | 'request',
  unbounded: { iss?: string; jti?: string; sub?: string },
  client_id: string | null,
): Promise<void> {
  // security review 2026-11-24: iss and jti may come from an unverified assertion of an anonymous caller (up to the
  // 16 KiB cap): kept to 256 characters each, so a refusal never appends kilobytes to the append-only chain
  const claims = Object.fromEntries(Object.entries(unbounded).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 256) : v])) as typeof unbounded;
  const detail = (e.internal ?? e.description ?? e.code).slice(0, 500);
  ctx.log.info({ event: 'idjag_rejected', reason, error: e.code, detail, iss: claims.iss, jti: claims.jti, client_id }, 'ID-JAG refused');
  await ctx.audit.record('idjag.rejected', { reason, error: e.code, detail, ...claims }, { client_id, subject: claims.iss ?? null });
}
