/**
 * Online password guessing is bounded per username: after `max` failures inside `windowMs` the account refuses
 * further attempts until the oldest failure leaves the window (the password is not even checked, so the
 * answer says nothing about it). In memory and per instance, bounded in size; a shared limit across
 * instances comes with the Redis-backed rate limits.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 15 * 60_000,
    private readonly maxKeys = 50_000,
  ) {}

  /** ms until the next attempt is allowed (0 = allowed now) */
  blockedFor(username: string, now: number): number {
    const list = this.live(username.toLowerCase(), now);
    return list.length >= this.max ? list[0]! + this.windowMs - now : 0;
  }

  fail(username: string, now: number): void {
    const key = username.toLowerCase();
    const list = this.live(key, now);
    list.push(now);
    this.failures.delete(key); // re-insert: the Map's order is least-recently-failed first
    this.failures.set(key, list);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(username: string): void {
    this.failures.delete(username.toLowerCase());
  }

  private live(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
}
