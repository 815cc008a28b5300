import type { Clock } from '../../core/time.js';

/** What a limiter says about one request. */
export interface RateDecision {
  allowed: boolean;
  /** requests counted in the current window (after this one, for `hit`) */
  count: number;
  /** whole seconds until the window ends: ≥ 1 when refused, 0 when allowed */
  retryAfterS: number;
}

/**
 * A counter per key over fixed windows (issue 6 item 4). One interface, two backends: in process (per instance,
 * the default) and Redis (N instances share one bucket). Keys are opaque (`<endpoint>:<kind>:<value>`).
 * Fixed windows allow a burst of up to 2 × limit across a window boundary; that is accepted for the simplicity of
 * one atomic INCR per request.
 */
export interface RateLimiter {
  /** Counts one request: allowed while the window's count is ≤ limit. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** The decision the next `hit` would get, without counting (login: only failures count). */
  peek(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** Forgets the key (a successful login clears its failures). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

interface Window {
  start: number;
  count: number;
  windowMs: number;
}

/**
 * In memory and bounded: at most `maxKeys` windows are kept, in start order (a new window is re-inserted), so
 * expired ones are swept from the front. When every kept window is live, one must go: the one with the fewest
 * requests among the oldest EVICTION_SAMPLE (ties: the oldest). Dropping simply the oldest would let anyone who
 * can make `maxKeys` fresh keys (usernames, IPs) wipe the counter of the key under attack — the one that has been
 * failing longest — and go on guessing; a key near its limit now outlives a spray of one-request keys.
 */
const EVICTION_SAMPLE = 64;

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return Promise.resolve(this.take(key, limit, windowMs, 1));
  }

  peek(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return Promise.resolve(this.take(key, limit, windowMs, 0));
  }

  reset(key: string): Promise<void> {
    this.windows.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.windows.clear();
    return Promise.resolve();
  }

  get size(): number {
    return this.windows.size;
  }

  /** Synchronous core: counts `cost` (0 or 1) requests for `key` now. */
  take(key: string, limit: number, windowMs: number, cost: 0 | 1): RateDecision {
    const now = this.clock();
    let w = this.windows.get(key);
    if (w && now - w.start >= w.windowMs) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      if (cost === 0) return { allowed: limit > 0, count: 0, retryAfterS: 0 };
      this.makeRoom(now);
      w = { start: now, count: 0, windowMs };
      this.windows.set(key, w);
    }
    // a refused request is not counted: the window's count stays at the limit, its end does not move
    const allowed = w.count < limit;
    if (allowed && cost === 1) w.count++;
    return { allowed, count: w.count, retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((w.start + w.windowMs - now) / 1000)) };
  }

  private makeRoom(now: number): void {
    // expired windows first, from the front (oldest start)
    for (const [key, w] of this.windows) {
      if (now - w.start < w.windowMs) break;
      this.windows.delete(key);
    }
    if (this.windows.size < this.maxKeys) return;
    let victim: string | undefined;
    let fewest = Infinity;
    let seen = 0;
    for (const [key, w] of this.windows) {
      if (w.count < fewest) {
        fewest = w.count;
        victim = key;
      }
      if (++seen >= EVICTION_SAMPLE) break;
    }
    if (victim !== undefined) this.windows.delete(victim);
  }
}
