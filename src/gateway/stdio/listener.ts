import type { JsonRpcMessage } from './child.js';
import { STREAM_HIGH_WATER, type Backpressure } from './exchange.js';

const encoder = new TextEncoder();

/**
 * A GET stream (MCP [HTTP] "Listening for Messages from the Server"): server messages that belong to no
 * in-flight request (list_changed, resources/updated, log messages between calls) for as long as the client
 * keeps it open. A comment line every `keepAliveMs` lets proxies and the gateway notice a gone client.
 */
export class Listener {
  readonly response: Response;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose: () => void;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.close();

  readonly #backpressure: Backpressure | undefined;

  constructor(signal: AbortSignal, headers: Record<string, string>, onClose: () => void, backpressure?: Backpressure, keepAliveMs = 15_000) {
    this.#onClose = onClose;
    this.#backpressure = backpressure;
    this.#signal = signal;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
        c.enqueue(encoder.encode(': stream open\n\n'));
      },
      pull: () => this.#backpressure?.drained(this),
      cancel: () => this.close(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER }));
    this.#timer = setInterval(() => this.#enqueue(': keep-alive\n\n'), keepAliveMs);
    this.#timer.unref();
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.response = new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers } });
  }

  send(msg: JsonRpcMessage): boolean {
    return this.#enqueue(`event: message\ndata: ${JSON.stringify(msg)}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#backpressure?.drained(this);
    try {
      this.#controller.close();
    } catch {
      /* cancelled */
    }
    this.#onClose();
  }

  #enqueue(text: string): boolean {
    if (this.#closed) return false;
    try {
      this.#controller.enqueue(encoder.encode(text));
      if ((this.#controller.desiredSize ?? 0) <= 0) this.#backpressure?.full(this);
      return true;
    } catch {
      this.close();
      return false;
    }
  }
}
