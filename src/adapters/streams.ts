/**
 * Bodies between Seal and WHATWG streams, both ways, with backpressure: a request body becomes
 * a ReadableStream that reads Seal's body only when its consumer reads (so a slow consumer stops
 * Seal reading the socket), and a response body stream is read only as fast as the socket drains.
 */
import type { Buffer } from 'node:buffer';
import type { RequestBody } from '../http/body.js';
import type { Response as SealResponse } from '../http/response.js';

const noop = (): void => undefined;

/**
 * Seal's request body as a ReadableStream of Uint8Arrays (views of the socket's chunks, not
 * copies). Pull-based: with a high-water mark of 0 nothing is read ahead, so bytes wait in
 * Seal's body queue, and past its high-water mark in the socket, until the consumer reads.
 */
export function requestBodyStream(body: RequestBody): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= body[Symbol.asyncIterator]();
        const next = await chunks.next();
        if (next.done === true) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      cancel() {
        // The consumer gave up: Seal discards (or, past its limit, closes on) the rest.
        chunks?.return?.(undefined).then(noop, noop);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Writes a response body stream to Seal's response, one chunk at a time, waiting for the socket
 * to drain whenever it is above its high-water mark; then ends the response. When the client
 * goes away (`signal`), the stream is cancelled, which tells its producer to stop.
 */
export async function writeBodyStream(stream: ReadableStream<Uint8Array>, out: SealResponse, signal: AbortSignal): Promise<void> {
  const reader = stream.getReader();
  const cancel = (): void => void reader.cancel(signal.reason).then(noop, noop);
  if (signal.aborted) return cancel();
  signal.addEventListener('abort', cancel);
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const chunk: unknown = next.value;
      // As a fetch() consumer would (Fetch §4.1, "incrementally read"): bytes only.
      if (!(chunk instanceof Uint8Array)) throw new TypeError('the response body stream gave a chunk that is not a Uint8Array');
      if (!out.write(chunk)) await out.drained();
      if (signal.aborted) return;
    }
  } catch (error) {
    reader.cancel(error).then(noop, noop);
    throw error;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  out.end();
}
