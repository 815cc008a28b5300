import { Redis } from 'ioredis';
import type { Logger } from '../../core/log.js';
import type { RateDecision, RateLimiter } from './limiter.js';

/**
 * One round trip, atomic (a Lua script runs alone on the server): count `cost` (0 = peek) and start the window's
 * expiry on its first request. N instances on one Redis therefore share one bucket per key.
 * Returns {count, ms left in the window} (-2 when the key does not exist).
 */
const HIT = `
local cost = tonumber(ARGV[2])
local n
if cost > 0 then n = redis.call('INCRBY', KEYS[1], cost) else n = tonumber(redis.call('GET', KEYS[1]) or '0') end
local ttl = redis.call('PTTL', KEYS[1])
if cost > 0 and ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

interface HitCommand {
  portcullisRateHit(key: string, windowMs: number, cost: number): Promise<[number, number]>;
}

export interface RedisLimiterOptions {
  url: string;
  /** used while Redis cannot be reached (see the class comment) */
  fallback: RateLimiter;
  log: Logger;
  /** prepended to every key; default `portcullis:rl:` */
  prefix?: string;
  /** a command slower than this counts as a failure (the request is not held up); default 250 ms */
  commandTimeoutMs?: number;
}

const LOG_EVERY_MS = 30_000;

/**
 * Rate limits shared by every instance through Redis. On a Redis failure (down, slow, refused) the request is
 * decided by the in-process `fallback` limiter instead: neither fail-open (a Redis outage would switch off
 * brute-force protection on login and token) nor fail-closed (it would take every sign-in down with it) — each
 * instance keeps enforcing the same limits on its own until Redis answers again. The failure is logged at error
 * level (at most every 30 s) and the recovery at info; no command waits in a queue while disconnected.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly redis: Redis;
  private failing = false;
  private lastLogged = 0;

  constructor(private readonly opts: RedisLimiterOptions) {
    this.redis = new Redis(opts.url, {
      keyPrefix: opts.prefix ?? 'portcullis:rl:',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.defineCommand('portcullisRateHit', { numberOfKeys: 1, lua: HIT });
    this.redis.on('error', (err: Error) => this.failed(err));
  }

  /** Connects once at start-up; false (logged, limits then per instance) when Redis is not reachable yet. */
  async connect(): Promise<boolean> {
    try {
      await this.redis.connect();
      return true;
    } catch (err) {
      this.failed(err as Error);
      return false;
    }
  }

  hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.run(key, limit, windowMs, 1);
  }

  peek(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.run(key, limit, windowMs, 0);
  }

  async reset(key: string): Promise<void> {
    await this.opts.fallback.reset(key);
    try {
      await this.redis.del(key);
    } catch (err) {
      this.failed(err as Error);
    }
  }

  async close(): Promise<void> {
    await this.opts.fallback.close();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async run(key: string, limit: number, windowMs: number, cost: 0 | 1): Promise<RateDecision> {
    let count: number;
    let ttl: number;
    try {
      [count, ttl] = await (this.redis as unknown as HitCommand).portcullisRateHit(key, windowMs, cost);
    } catch (err) {
      this.failed(err as Error);
      return cost === 1 ? this.opts.fallback.hit(key, limit, windowMs) : this.opts.fallback.peek(key, limit, windowMs);
    }
    if (this.failing) {
      this.failing = false;
      this.opts.log.info({ event: 'rate_limit_redis_recovered' }, 'rate limits: Redis answers again; limits are shared across instances');
    }
    const allowed = cost === 1 ? count <= limit : count < limit;
    return { allowed, count, retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)) };
  }

  private failed(err: Error): void {
    const now = Date.now();
    if (!this.failing || now - this.lastLogged >= LOG_EVERY_MS) {
      this.lastLogged = now;
      this.opts.log.error({ event: 'rate_limit_redis_error', err: err.message }, 'rate limits: Redis unavailable; each instance enforces the limits on its own until it answers');
    }
    this.failing = true;
  }
}
