import type { Clock } from '../core/time.js';
import { systemClock } from '../core/time.js';
import type { Logger } from '../core/log.js';
import type { AuditCheckpointRecord, Store } from '../store/types.js';
import { assertNoSecrets, chainRows, signCheckpoint, toEntry, type AuditKeys } from './chain.js';
import { appendCheckpointFile, readCheckpointFile } from './checkpoint-file.js';
import { verifyAudit, type VerifyReport } from './verify.js';
import { SUBJECT_FIELD, type AuditActor, type AuditEntry, type AuditEvent, type AuditEvents, type AuditEventType, type JsonValue } from './types.js';

export interface AuditLogOptions {
  store: Store;
  keys: AuditKeys;
  clock?: Clock;
  log?: Logger;
  /** the external checkpoint file (see checkpoint-file.ts); null: checkpoints go to the store only */
  checkpointFile: string | null;
  /** checkpoint after this many new entries (default 256) … */
  checkpointEvery?: number;
  /** … or this often when there are new entries (default 60 s; 0 disables the timer) */
  checkpointIntervalMs?: number;
  /** batched events are appended at least this often (default 1 s) … */
  batchIntervalMs?: number;
  /** … or as soon as this many are waiting (default 256) */
  batchMax?: number;
}

/**
 * The audit log (ARCHITECTURE "Audit"). `record` is for security events: it resolves once the entry is durable
 * in the store, and rejects if it could not be written (the caller decides whether to fail its request).
 * `recordBatched` is for tool calls: it returns at once; entries are appended together at least every second,
 * on `flush()` and on `close()`.
 */
export class AuditLog {
  private readonly store: Store;
  private readonly keys: AuditKeys;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly every: number;
  private readonly batchIntervalMs: number;
  private readonly batchMax: number;
  private queue: AuditEvent[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly checkpointTimer: NodeJS.Timeout | null;
  private lastCheckpointSeq = 0;
  /** background work (batch flushes, checkpoints), chained so close() can wait for all of it */
  private pending: Promise<unknown> = Promise.resolve();
  /** record() calls waiting for the next group commit */
  private group: { event: AuditEvent; resolve: (entry: AuditEntry) => void; reject: (err: unknown) => void }[] = [];
  private groupCommit: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly opts: AuditLogOptions) {
    this.store = opts.store;
    this.keys = opts.keys;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.every = opts.checkpointEvery ?? 256;
    this.batchIntervalMs = opts.batchIntervalMs ?? 1000;
    this.batchMax = opts.batchMax ?? 256;
    const interval = opts.checkpointIntervalMs ?? 60_000;
    this.checkpointTimer = interval > 0 ? setInterval(() => this.background(() => this.checkpoint(true)), interval) : null;
    this.checkpointTimer?.unref();
  }

  /**
   * Appends one event and resolves with its entry once it is durable. Issue 9: events recorded in the same turn
   * of the event loop are committed together (group commit), one synchronous transaction and one fsync for all
   * of them; each still resolves only after its own entry is durable.
   */
  async record<T extends AuditEventType>(type: T, data: AuditEvents[T], actor: AuditActor = {}): Promise<AuditEntry> {
    if (this.closed) throw new Error('audit log is closed');
    const event = this.event(type, data, actor);
    return new Promise<AuditEntry>((resolve, reject) => {
      this.group.push({ event, resolve, reject });
      this.groupCommit ??= new Promise<void>((done) => setImmediate(() => void this.commitGroup().finally(done)));
    });
  }

  private async commitGroup(): Promise<void> {
    const group = this.group;
    this.group = [];
    this.groupCommit = null;
    try {
      const rows = await this.append(group.map((g) => g.event));
      group.forEach((g, i) => g.resolve(toEntry(rows[i]!)));
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  /** queues one event (tool calls); storage errors are logged and retried, never thrown to the caller */
  recordBatched<T extends AuditEventType>(type: T, data: AuditEvents[T], actor: AuditActor = {}): void {
    const event = this.event(type, data, actor);
    if (this.closed) {
      // a tool call still finishing during shutdown: say so loudly rather than fail the call
      this.log?.error({ event: 'audit_dropped', type, time: event.time }, 'audit event after close dropped');
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.batchMax) this.background(() => this.flush());
    else this.batchTimer ??= setTimeout(() => this.background(() => this.flush()), this.batchIntervalMs);
  }

  /** appends every queued event now */
  async flush(): Promise<void> {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const events = this.queue;
    this.queue = [];
    if (events.length === 0) return;
    try {
      await this.append(events);
    } catch (err) {
      // keep them for the next flush rather than lose them; the failure is loud in the log
      this.queue = events.concat(this.queue);
      this.log?.error({ err, queued: this.queue.length }, 'audit batch append failed');
      if (!this.closed) this.batchTimer ??= setTimeout(() => this.background(() => this.flush()), this.batchIntervalMs);
      throw err;
    }
  }

  /**
   * Signs the head of the chain and writes the checkpoint to the external file and to the store.
   * `onlyIfNew`: nothing when no entry was appended since this instance's last checkpoint.
   */
  async checkpoint(onlyIfNew = false): Promise<AuditCheckpointRecord | null> {
    const head = await this.store.getAuditHead();
    if (!head || (onlyIfNew && head.seq <= this.lastCheckpointSeq)) return null;
    const c = signCheckpoint(this.keys.checkpoint, { seq: head.seq, mac: head.mac, time: this.clock() });
    // the file first: it is the copy an attacker with store access cannot reach
    if (this.opts.checkpointFile) appendCheckpointFile(this.opts.checkpointFile, c);
    await this.store.putAuditCheckpoint(c);
    this.lastCheckpointSeq = Math.max(this.lastCheckpointSeq, c.seq);
    // a third copy, in the log stream (which usually leaves the machine)
    this.log?.info({ event: 'audit_checkpoint', ...c }, 'audit checkpoint');
    return c;
  }

  /**
   * `portcullis audit verify` for this log: the chain against the store's and the external file's checkpoints.
   * Calls made while one runs share its report (a walk over the whole log: console reloads must not multiply it).
   */
  verify(): Promise<VerifyReport> {
    this.verifying ??= (async () => {
      try {
        const file = this.opts.checkpointFile;
        return await verifyAudit({ store: this.store, keys: this.keys, file: file ? readCheckpointFile(file) : null, ...(file ? { fileName: file } : {}) });
      } finally {
        this.verifying = null;
      }
    })();
    return this.verifying;
  }
  private verifying: Promise<VerifyReport> | null = null;

  /** flushes the batch, writes a last checkpoint if there is anything new, stops the timers */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    while (this.groupCommit) await this.groupCommit;
    await this.pending;
    try {
      await this.flush();
    } finally {
      if (this.batchTimer) clearTimeout(this.batchTimer);
      this.batchTimer = null;
      await this.checkpoint(true);
    }
  }

  private event<T extends AuditEventType>(type: T, data: AuditEvents[T], actor: AuditActor): AuditEvent {
    const fields = data as unknown as { [key: string]: JsonValue };
    assertNoSecrets(fields);
    const subjectField = (SUBJECT_FIELD as Record<string, string | null>)[type] ?? null;
    const derived = subjectField ? fields[subjectField] : undefined;
    return {
      time: this.clock(),
      type,
      user_id: actor.user_id ?? null,
      client_id: actor.client_id ?? null,
      subject: actor.subject !== undefined ? actor.subject : typeof derived === 'string' ? derived : null,
      data: fields,
    };
  }

  private async append(events: AuditEvent[]) {
    const rows = await this.store.appendAudit((head) => chainRows(this.keys.chain, head, events));
    const last = rows[rows.length - 1];
    if (last && last.seq - this.lastCheckpointSeq >= this.every) this.background(() => this.checkpoint(true));
    return rows;
  }

  private background(work: () => Promise<unknown>): void {
    this.pending = this.pending.then(work).catch((err: unknown) => this.log?.error({ err }, 'audit background work failed'));
  }
}
