import { Slot, type SlotOptions } from './slot.js';

/** max_children reached and every child busy: answered 503 */
export class PoolFull extends Error {}

export interface PoolOptions {
  maxChildren: number;
  idleMs: number;
  /** slots remembered (with the last initialize of a stopped child); least recently used childless ones go first */
  maxSlots?: number;
  slotOptions(key: string): Omit<SlotOptions, 'key' | 'reserve' | 'released'>;
  onEvict?(slot: Slot, why: 'idle' | 'limit'): void;
}

/**
 * The children of one stdio resource, keyed by user (`sub`) or legacy session. Per instance: several Portcullis
 * instances each hold their own children. A child with nothing in flight and no open stream for `idleMs` is
 * stopped; past `maxChildren`, starting one stops the least recently used idle child first, else PoolFull.
 */
export class ChildPool {
  readonly #opts: PoolOptions;
  readonly #slots = new Map<string, Slot>();
  /** slots with a child running or starting */
  readonly #live = new Set<Slot>();
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(opts: PoolOptions) {
    this.#opts = opts;
    this.#sweep = setInterval(() => this.#stopIdle(), Math.max(100, Math.min(1000, opts.idleMs / 4)));
    this.#sweep.unref();
  }

  get running(): number {
    return this.#live.size;
  }

  /** the slot for `key`, created on first use */
  slot(key: string): Slot {
    let s = this.#slots.get(key);
    if (s) {
      this.#slots.delete(key); // re-insert: the map stays least recently used first
      this.#slots.set(key, s);
      return s;
    }
    s = new Slot({
      ...this.#opts.slotOptions(key),
      key,
      reserve: (slot) => this.#reserve(slot),
      released: (slot) => this.#live.delete(slot),
    });
    this.#slots.set(key, s);
    this.#forget();
    return s;
  }

  peek(key: string): Slot | undefined {
    return this.#slots.get(key);
  }

  /** stop and forget (a deleted legacy session) */
  async remove(key: string): Promise<void> {
    const s = this.#slots.get(key);
    this.#slots.delete(key);
    await s?.stop();
  }

  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    await Promise.all([...this.#slots.values()].map((s) => s.stop(graceMs)));
  }

  #reserve(slot: Slot): void {
    if (this.#closed) throw new PoolFull('shutting down');
    if (this.#live.size >= this.#opts.maxChildren) {
      const idle = [...this.#slots.values()].find((s) => s !== slot && this.#live.has(s) && !s.busy);
      if (!idle) throw new PoolFull('max_children reached');
      this.#live.delete(idle);
      this.#opts.onEvict?.(idle, 'limit');
      void idle.stop();
    }
    this.#live.add(slot);
  }

  #stopIdle(): void {
    const now = Date.now();
    for (const s of this.#live) {
      if (!s.busy && now - s.lastUsed >= this.#opts.idleMs) {
        this.#live.delete(s);
        this.#opts.onEvict?.(s, 'idle');
        void s.stop();
      }
    }
  }

  /** bound the remembered slots: drop the least recently used ones without a child */
  #forget(): void {
    const max = this.#opts.maxSlots ?? 10_000;
    if (this.#slots.size <= max) return;
    for (const [key, s] of this.#slots) {
      if (this.#slots.size <= max) break;
      if (!s.running) this.#slots.delete(key);
    }
  }
}
