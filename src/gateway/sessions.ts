import type { Clock } from '../core/time.js';

/**
 * Legacy (≤ 2025-11-25) `Mcp-Session-Id` → token `sub` bindings, so that one user cannot ride another's session
 * (2025-11-25 Security Best Practices "Session Hijacking": session ids MUST NOT authenticate and SHOULD be bound
 * to the user). Bounded and in memory: least recently used entries go first, and idle entries expire. A session
 * the map no longer knows is answered 404, which makes a client start a new session ([HTTP] "Session
 * Management"), so eviction costs a re-initialize, never access.
 */
export interface SessionBindingOptions {
  maxEntries: number;
  /** idle lifetime: every use of a session extends it */
  ttlMs: number;
  clock: Clock;
}

interface Binding {
  sub: string;
  expiresAt: number;
}

export class SessionBindings {
  // Map iteration order is insertion order; re-inserting on use keeps it least-recently-used first,
  // and since the TTL slides with use, the oldest entries are also the first to expire.
  readonly #map = new Map<string, Binding>();

  constructor(private readonly opts: SessionBindingOptions) {
    if (opts.maxEntries < 1 || opts.ttlMs <= 0) throw new TypeError('session bindings need maxEntries ≥ 1 and ttlMs > 0');
  }

  get size(): number {
    return this.#map.size;
  }

  /** Record that `sub` owns `sessionId`. Returns false (and changes nothing) if another subject owns it. */
  bind(sessionId: string, sub: string): boolean {
    const current = this.owner(sessionId);
    if (current !== undefined && current !== sub) return false;
    this.#map.delete(sessionId);
    this.#evict();
    this.#map.set(sessionId, { sub, expiresAt: this.opts.clock() + this.opts.ttlMs });
    return true;
  }

  /** The owner of a live binding (extending it), or undefined. */
  owner(sessionId: string): string | undefined {
    const b = this.#map.get(sessionId);
    if (b === undefined) return undefined;
    this.#map.delete(sessionId);
    const now = this.opts.clock();
    if (b.expiresAt <= now) return undefined;
    this.#map.set(sessionId, { sub: b.sub, expiresAt: now + this.opts.ttlMs });
    return b.sub;
  }

  delete(sessionId: string): void {
    this.#map.delete(sessionId);
  }

  #evict(): void {
    const now = this.opts.clock();
    for (const [id, b] of this.#map) {
      if (b.expiresAt > now && this.#map.size < this.opts.maxEntries) break;
      this.#map.delete(id);
    }
  }
}
