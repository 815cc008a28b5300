/**
 * A fixed-window counter per key (client IP), in memory and bounded: at most `maxKeys` windows are kept. Windows
 * are kept in start order (a new window is re-inserted), so expired ones are swept from the front; when every
 * kept window is live, the oldest is dropped (that IP gets a fresh window: bounded memory beats perfect counts).
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one request for `key`: 0 when allowed, else the milliseconds until its window ends. */
  take(key: string, now: number): number {
    let w = this.windows.get(key);
    if (w && now - w.start >= this.windowMs) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      this.makeRoom(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) return w.start + this.windowMs - now;
    w.count++;
    return 0;
  }

  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    for (const [key, w] of this.windows) {
      if (this.windows.size < this.maxKeys && now - w.start < this.windowMs) return;
      this.windows.delete(key);
    }
  }
}
