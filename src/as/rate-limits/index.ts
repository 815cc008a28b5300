import { configSchema, type Config, type RateLimitsConfig } from '../../config/schema.js';
import { ConfigError, RateLimitedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { sha256 } from '../../core/random.js';
import type { Clock } from '../../core/time.js';
import type { AsContext } from '../context.js';
import { parseTrustedProxies, peerAddress, resolveClientAddress, type ClientAddress, type TrustedProxies } from './client-ip.js';
import { MemoryRateLimiter, type RateLimiter } from './limiter.js';

export { MemoryRateLimiter, type RateDecision, type RateLimiter } from './limiter.js';
export { parseTrustedProxies, resolveClientAddress, type ClientAddress } from './client-ip.js';

/**
 * Endpoints limited per client IP at the edge (`device`: RFC 8628's device authorization endpoint).
 */
export type LimitedEndpoint = 'authorize' | 'token' | 'register' | 'login' | 'device' | 'upstream_login';

interface Bucket {
  limit: number;
  window_s: number;
}

/** The limits of one running AS (issue 6 item 4): which bucket each request counts against, over one limiter. */
export class RateLimits {
  private readonly trusted: TrustedProxies;
  private readonly perIp: Partial<Record<LimitedEndpoint, Bucket>>;
  private readonly rl: RateLimitsConfig;

  constructor(
    config: Pick<Config, 'rate_limits' | 'registration'>,
    readonly limiter: RateLimiter,
  ) {
    // defaults applied again: embedders may hand over a config built without the schema
    const rl = (this.rl = configSchema.shape.rate_limits.parse(config.rate_limits));
    this.trusted = parseTrustedProxies(rl.trusted_proxies);
    const legacy = (config.registration as Config['registration'] | undefined)?.rate_limit_per_ip_per_hour;
    this.perIp = {
      authorize: rl.authorize.per_ip,
      token: rl.token.per_ip,
      register: legacy === undefined ? rl.register.per_ip : { limit: legacy, window_s: 3600 },
      login: rl.login.per_ip,
      device: rl.device.per_ip,
      upstream_login: rl.upstream_login.per_ip,
    };
  }

  get enabled(): boolean {
    return this.rl.enabled;
  }

  /** Who is asking: the TCP peer, or the forwarded client when the peer is a trusted proxy. */
  clientAddress(env: unknown, req: Request): ClientAddress {
    return resolveClientAddress(peerAddress(env), req.headers.get('x-forwarded-for'), this.trusted);
  }

  /** Counts one request from `client` at `endpoint`: 0 when allowed, else the seconds to wait (no socket: not counted). */
  async ip(endpoint: LimitedEndpoint, client: ClientAddress): Promise<number> {
    const b = this.perIp[endpoint];
    return b && client.bucket !== null ? this.count(`${endpoint}:ip:${client.bucket}`, b) : 0;
  }

  /** /token per authenticated client; throws 429 `temporarily_unavailable` (RateLimitedError) past the limit. */
  async client(clientId: string): Promise<void> {
    const wait = await this.count(`token:client:${sha256(clientId)}`, this.rl.token.per_client);
    if (wait > 0) throw new RateLimitedError(wait, 'per-client rate limit');
  }

  /** Sign-in: seconds the username must wait (0 = may try). Only failures count; usernames are hashed in keys. */
  async loginBlocked(username: string): Promise<number> {
    if (!this.enabled) return 0;
    const b = this.rl.login.per_user;
    const d = await this.limiter.peek(userKey(username), b.limit, b.window_s * 1000);
    return d.allowed ? 0 : d.retryAfterS;
  }

  async loginFailed(username: string): Promise<void> {
    const b = this.rl.login.per_user;
    if (this.enabled) await this.limiter.hit(userKey(username), b.limit, b.window_s * 1000);
  }

  async loginSucceeded(username: string): Promise<void> {
    if (this.enabled) await this.limiter.reset(userKey(username));
  }

  /**
   * RFC 8628 §5.1 user codes at /device: seconds to wait before the next code may be checked (0 = may try), over
   * every given key (client IP, browser). Only wrong codes count (userCodeFailed); a right one resets nothing.
   */
  async userCodeBlocked(keys: readonly string[]): Promise<number> {
    if (!this.enabled) return 0;
    const b = this.rl.device.user_code;
    const waits = await Promise.all(keys.map(async (k) => {
      const d = await this.limiter.peek(userCodeKey(k), b.limit, b.window_s * 1000);
      return d.allowed ? 0 : d.retryAfterS;
    }));
    return Math.max(0, ...waits);
  }

  async userCodeFailed(keys: readonly string[]): Promise<void> {
    const b = this.rl.device.user_code;
    if (this.enabled) await Promise.all(keys.map((k) => this.limiter.hit(userCodeKey(k), b.limit, b.window_s * 1000)));
  }

  close(): Promise<void> {
    return this.limiter.close();
  }

  private async count(key: string, b: Bucket): Promise<number> {
    if (!this.enabled) return 0;
    const d = await this.limiter.hit(key, b.limit, b.window_s * 1000);
    return d.allowed ? 0 : d.retryAfterS;
  }
}

const userKey = (username: string): string => `login:user:${sha256(username.toLowerCase())}`;
/** one key for peek and hit: a drift between the two would silently switch the user-code limit off */
const userCodeKey = (key: string): string => `device:user_code:${key}`;

/**
 * The limits for a runtime: in memory, or in Redis (connected before the server listens; unreachable at start
 * is logged and served per instance until it answers). Bad options fail here, naming the option.
 */
export async function createRateLimits(config: Config, opts: { clock: Clock; log: Logger }): Promise<RateLimits> {
  const rl = configSchema.shape.rate_limits.parse(config.rate_limits);
  const memory = new MemoryRateLimiter(opts.clock);
  if (rl.backend === 'memory') return new RateLimits(config, memory);
  if (!rl.redis_url) throw new ConfigError('rate_limits.redis_url', 'backend redis needs redis_url (redis://host:6379)');
  if (!/^rediss?:\/\//.test(rl.redis_url)) throw new ConfigError('rate_limits.redis_url', 'must be a redis:// or rediss:// URL');
  // issue 9: ioredis is loaded only when asked for (a few hundred ms of start-up otherwise)
  const { RedisRateLimiter } = await import('./redis.js');
  const redis = new RedisRateLimiter({ url: rl.redis_url, fallback: memory, log: opts.log });
  const limits = new RateLimits(config, redis); // validates trusted_proxies before any connection is made
  if (await redis.connect()) opts.log.info({ event: 'rate_limit_backend', backend: 'redis' }, 'rate limits shared through Redis');
  return limits;
}

/** one in-memory set of limits per context built without a runtime (tests, embedders) */
const fallbacks = new WeakMap<AsContext, RateLimits>();

/** The context's rate limits: the runtime's, or per-context in-memory ones. */
export function rateLimitsOf(ctx: AsContext): RateLimits {
  if (ctx.rateLimits) return ctx.rateLimits;
  let rl = fallbacks.get(ctx);
  if (!rl) fallbacks.set(ctx, (rl = new RateLimits(ctx.settings.config, new MemoryRateLimiter(ctx.clock))));
  return rl;
}
