/**
 * Decisions every Store backend makes the same way; backends only add the locking and SQL around them.
 */

export interface RefreshTokenState {
  expires_at: number;
  absolute_expires_at: number;
  rotated_at: number | null;
  grant_revoked_at: number | null;
}

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
