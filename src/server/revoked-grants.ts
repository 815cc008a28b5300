import type { Clock } from '../core/time.js';
import type { Store } from '../store/types.js';

/**
 * The gateway's revoked-grant set (ARCHITECTURE.md "Revocation"): updated at once on the instance that
 * revokes, and polled from the store every second so other instances see a revocation within ~1 s.
 * Entries older than the longest access-token lifetime can never match a live token and are dropped.
 */
export class RevokedGrants {
  private readonly revoked = new Map<string, number>();
  private since = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly retainMs: number,
  ) {}

  async start(intervalMs = 1000): Promise<void> {
    this.since = this.clock() - this.retainMs;
    await this.poll();
    this.timer = setInterval(() => void this.poll().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  add(grantId: string): void {
    this.revoked.set(grantId, this.clock());
  }

  has(grantId: string): boolean {
    return this.revoked.has(grantId);
  }

  private async poll(): Promise<void> {
    const now = this.clock();
    // overlap the window by a second so a revocation committed during the last poll is not missed
    const ids = await this.store.listRevokedGrantIds(this.since - 1000);
    this.since = now;
    for (const id of ids) if (!this.revoked.has(id)) this.revoked.set(id, now);
    for (const [id, at] of this.revoked) if (now - at > this.retainMs) this.revoked.delete(id);
  }
}
