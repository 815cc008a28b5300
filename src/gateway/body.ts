import type { Readable } from 'node:stream';

/** Read a request body into memory, refusing more than `max` bytes (checked before and while reading). */
export async function readCappedBody(req: Request, max: number): Promise<Uint8Array | 'too_large'> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > max) return 'too_large';
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return 'too_large';
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

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
