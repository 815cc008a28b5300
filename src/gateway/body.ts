import type { Readable } from 'node:stream';

export { readCappedBody } from '../core/body.js';

/**
 * A web stream over an upstream body that pulls one chunk per read and queues nothing (highWaterMark 0), so
 * every SSE event goes out as soon as the upstream produces it. Cancelling it (client gone) destroys the
 * upstream body, which closes the upstream request.
 */
export function streamUpstreamBody(body: Readable, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  // errors surface through the iterator; this listener keeps an abort after cancel from becoming uncaught
  body.on('error', () => {});
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await chunks.next();
          if (done) controller.close();
          else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        } catch (e) {
          onError(e);
          controller.error(e);
        }
      },
      cancel() {
        body.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Relayed whole rather than streamed: at most this many bytes, declared by the upstream */
export const SMALL_JSON_BYTES = 64 * 1024;

/** A complete JSON answer (not SSE) whose declared length is small: buffering it delays nothing worth streaming. */
export function isSmallJson(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  const type = headers['content-type'];
  if (typeof length !== 'string' || typeof type !== 'string') return false;
  const n = Number(length);
  return Number.isInteger(n) && n >= 0 && n <= SMALL_JSON_BYTES && type.toLowerCase().startsWith('application/json');
}
