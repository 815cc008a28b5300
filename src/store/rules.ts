import type { DeviceCodeRecord, DevicePollResult, GrantRecord } from './types.js';

/**
 * Decisions every Store backend makes the same way; backends only add the locking and SQL around them.
 */

export interface RefreshTokenState {
  expires_at: number;
  absolute_expires_at: number;
  rotated_at: number | null;
  grant_revoked_at: number | null;
}

/** why a grant was revoked when a rotated refresh token came back after its grace window ('reuse' below) */
export const REFRESH_REUSE_REASON = 'refresh_token_reuse';

/**
 * ARCHITECTURE "Tokens": what presenting a refresh token does, given its row (null: unknown).
 * - 'dead': unknown, idle or absolute lifetime over, or its grant revoked
 * - 'grace': already rotated, within the grace window (the caller replays the same pair)
 * - 'reuse': already rotated, after the grace (the grant is revoked)
 * - 'rotate': live and unrotated
 */
export function rotationStep(row: RefreshTokenState | null | undefined, now: number, grace_ms: number): 'dead' | 'grace' | 'reuse' | 'rotate' {
  if (!row || row.expires_at <= now || row.absolute_expires_at <= now || row.grant_revoked_at !== null) return 'dead';
  if (row.rotated_at === null) return 'rotate';
  return now - row.rotated_at <= grace_ms ? 'grace' : 'reuse';
}

/** what `Store.decideDeviceCode` is asked to record */
export type DeviceDecision =
  | { status: 'approved'; user_id: string; scope: string[]; grant: GrantRecord }
  | { status: 'denied' };

/** RFC 8628 §3.5: every slow_down raises the polling interval by 5 seconds */
export const SLOW_DOWN_STEP_S = 5;

/**
 * RFC 8628 §3.4/§3.5, one poll of a device code given its row (null: unknown): the result, and the row to write back
 * (if any). Approved codes are consumed (single use); pending codes polled sooner than `interval` after the previous
 * poll get slow_down with the interval raised; every poll of a live code records when it happened.
 */
export function devicePollStep(
  row: DeviceCodeRecord | null,
  now: number,
): { result: DevicePollResult; write: DeviceCodeRecord | null } {
  if (!row || row.consumed_at !== null) return { result: { kind: 'not_found' }, write: null };
  if (row.expires_at <= now) return { result: { kind: 'expired' }, write: null };
  if (row.status === 'approved') {
    const device = { ...row, consumed_at: now, last_polled_at: now };
    return { result: { kind: 'approved', device }, write: device };
  }
  if (row.status === 'denied') {
    const device = { ...row, last_polled_at: now };
    return { result: { kind: 'denied', device }, write: device };
  }
  if (row.last_polled_at !== null && now - row.last_polled_at < row.interval * 1000) {
    const device = { ...row, interval: row.interval + SLOW_DOWN_STEP_S, last_polled_at: now };
    return { result: { kind: 'slow_down', device }, write: device };
  }
  const device = { ...row, last_polled_at: now };
  return { result: { kind: 'pending', device }, write: device };
}
