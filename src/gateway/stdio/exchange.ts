import type { MessageFilter } from '../list-filter.js';
import type { JsonRpcMessage } from './child.js';

/**
 * The HTTP answer to one POST that carried requests (MCP [HTTP] "Sending Messages to the Server"): a single
 * JSON body when the responses arrive with nothing before them, else an SSE stream that carries the related
 * notifications and server-to-client requests as they come and ends after the last response. Nothing is
 * buffered beyond the messages that arrive before that choice is made.
 */
export interface ExchangeOptions {
  /** the client's Accept allows text/event-stream (else only the responses are sent, as JSON) */
  acceptsSse: boolean;
  batch: boolean;
  /** responses this POST waits for */
  expected: number;
  /** tools/list etc. shown only as far as the token may see (list-filter.ts) */
  filter?: MessageFilter | undefined;
  headers?: Record<string, string>;
  /** the request's signal: aborted when the client goes away */
  signal: AbortSignal;
  /** the client left with responses outstanding */
  onGone(): void;
  /** the client reads slower than the child writes: hold the child's stdout until it catches up */
  backpressure?: Backpressure;
  /** the HTTP status of a lone JSON answer (modern.ts: a modern child's protocol errors); default 200 */
  status?: (msg: JsonRpcMessage) => number;
  /** a comment line this often on an SSE stream, so that a long-lived one (subscriptions/listen) stays open */
  keepAliveMs?: number;
}

/** a stream's say over the child's stdout (slot.ts: paused while any stream of the child is full) */
export interface Backpressure {
  full(stream: object): void;
  drained(stream: object): void;
}

/** bytes queued for a slow client before the child's output is held back */
export const STREAM_HIGH_WATER = 256 * 1024;

const encoder = new TextEncoder();

export class Exchange {
  readonly response: Promise<Response>;
  #resolve!: (r: Response) => void;
  readonly #opts: ExchangeOptions;
  #remaining: number;
  #responses: JsonRpcMessage[] = [];
  #pending: JsonRpcMessage[] = [];
  #mode: 'undecided' | 'sse' | 'closed' = 'undecided';
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #onAbort = () => this.#gone();

  constructor(opts: ExchangeOptions) {
    this.#opts = opts;
    this.#remaining = opts.expected;
    this.response = new Promise((resolve) => (this.#resolve = resolve));
    opts.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  get open(): boolean {
    return this.#mode !== 'closed';
  }

  get streaming(): boolean {
    return this.#mode === 'sse';
  }

  /** whether intermediate messages (notifications, server requests) can reach this client */
  get acceptsIntermediate(): boolean {
    return this.#mode !== 'closed' && this.#opts.acceptsSse;
  }

  /** A response to one of this POST's requests (its id already the client's own). */
  respond(msg: JsonRpcMessage): void {
    if (this.#mode === 'closed') return;
    const out = this.#opts.filter ? (this.#opts.filter(msg).value as JsonRpcMessage) : msg;
    this.#remaining--;
    if (this.#mode === 'sse') {
      this.#write(out);
      if (this.#remaining <= 0) this.#finish();
      return;
    }
    this.#responses.push(out);
    if (this.#remaining > 0) return;
    this.#finish();
    const body = this.#opts.batch ? this.#responses : this.#responses[0];
    const status = this.#opts.batch || !this.#opts.status ? 200 : this.#opts.status(body as JsonRpcMessage);
    this.#resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...this.#opts.headers } }));
  }

  /** A notification or server-to-client request related to this POST. Returns false when it cannot be sent. */
  relay(msg: JsonRpcMessage): boolean {
    if (!this.acceptsIntermediate) return false;
    if (this.#mode === 'undecided') this.#startSse();
    this.#write(msg);
    return true;
  }

  /** End the stream with no response (the child tore a subscription down): on HTTP, closing the stream says so. */
  end(): void {
    if (this.#mode === 'closed') return;
    if (this.#mode === 'undecided') this.#startSse(); // a request is answered with a stream, even an empty one
    this.#finish();
  }

  #startSse(): void {
    this.#mode = 'sse';
    const early = this.#responses;
    this.#responses = [];
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        for (const m of early) this.#write(m);
        for (const m of this.#pending) this.#write(m);
        this.#pending = [];
      },
      pull: () => this.#opts.backpressure?.drained(this),
      cancel: () => this.#gone(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER }));
    if (this.#opts.keepAliveMs) {
      this.#keepAlive = setInterval(() => this.#enqueue(': keep-alive\n\n'), this.#opts.keepAliveMs);
      this.#keepAlive.unref();
    }
    // MCP 2026-07-28 [HTTP] "Receiving Messages": SSE responses SHOULD carry X-Accel-Buffering: no (no proxy buffering)
    const headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...this.#opts.headers };
    this.#resolve(new Response(stream, { status: 200, headers }));
  }

  #write(msg: JsonRpcMessage): void {
    if (!this.#controller) {
      this.#pending.push(msg);
      return;
    }
    this.#enqueue(`event: message\ndata: ${JSON.stringify(msg)}\n\n`);
  }

  #enqueue(text: string): void {
    try {
      this.#controller!.enqueue(encoder.encode(text));
      if ((this.#controller!.desiredSize ?? 0) <= 0) this.#opts.backpressure?.full(this);
    } catch {
      /* the stream was cancelled: #gone handles it */
    }
  }

  #finish(): void {
    const wasSse = this.#mode === 'sse';
    this.#mode = 'closed';
    clearInterval(this.#keepAlive);
    this.#opts.signal.removeEventListener('abort', this.#onAbort);
    this.#opts.backpressure?.drained(this); // what is queued is flushed by the server; the child may go on
    if (wasSse) {
      try {
        this.#controller?.close();
      } catch {
        /* already cancelled */
      }
    }
  }

  #gone(): void {
    if (this.#mode === 'closed') return;
    const undecided = this.#mode === 'undecided';
    this.#mode = 'closed';
    clearInterval(this.#keepAlive);
    this.#opts.signal.removeEventListener('abort', this.#onAbort);
    this.#opts.backpressure?.drained(this);
    if (undecided) this.#resolve(new Response(null, { status: 499 })); // nobody is listening
    this.#opts.onGone();
  }
}
