import { sha256 } from '../../../core/random.js';
import type { DeviceCodeRecord } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { rateLimitsOf } from '../../rate-limits/index.js';
import { normalizeUserCode } from './user-code.js';

/** who is entering codes: the client IP bucket, this browser, the signed-in user (each limited on its own) */
export interface CodeEnterer {
  ipBucket: string | null;
  /** a random per-browser value (the device page's CSRF cookie) */
  browser: string | null;
  user_id: string | null;
}

export type UserCodeLookup = { kind: 'ok'; device: DeviceCodeRecord } | { kind: 'invalid' } | { kind: 'throttled'; retryAfterS: number };

/**
 * RFC 8628 §5.1 (user code brute forcing): every check of a user code goes through here. Too many wrong codes
 * from this IP, browser or user → throttled before the store is asked, so even a right code waits; a wrong,
 * malformed, expired, used or decided code is one answer (`invalid`) that says nothing about which it was.
 */
export async function lookUpUserCode(ctx: AsContext, who: CodeEnterer, input: string): Promise<UserCodeLookup> {
  const limits = rateLimitsOf(ctx);
  const keys = [
    ...(who.ipBucket !== null ? [`ip:${who.ipBucket}`] : []),
    ...(who.browser !== null ? [`browser:${sha256(who.browser)}`] : []),
    ...(who.user_id !== null ? [`user:${sha256(who.user_id)}`] : []),
  ];
  const wait = await limits.userCodeBlocked(keys);
  if (wait > 0) {
    ctx.log.warn({ event: 'device_user_code_throttled', ip: who.ipBucket, retry_after: wait }, 'user code refused: too many wrong codes');
    await ctx.audit.record('device.user_code_rejected', { reason: 'throttled' }, { user_id: who.user_id });
    return { kind: 'throttled', retryAfterS: wait };
  }
  const code = normalizeUserCode(input);
  const device = code === null ? null : await ctx.store.getDeviceCodeByUserCode(code, ctx.clock());
  if (device && device.status === 'pending' && device.consumed_at === null) return { kind: 'ok', device };
  await limits.userCodeFailed(keys);
  ctx.log.info({ event: 'device_user_code_rejected', ip: who.ipBucket }, 'user code refused');
  await ctx.audit.record('device.user_code_rejected', { reason: 'invalid' }, { user_id: who.user_id });
  return { kind: 'invalid' };
}
