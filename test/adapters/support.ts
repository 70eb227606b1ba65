/**
 * What the adapter tests share: Seal servers running fetch applications (closed by `cleanup`),
 * a byte source whose pulls are counted (to see backpressure from the producer's side), and a
 * way to read a response body chunk by chunk at a chosen pace.
 */
import { toHandler, type FetchApplication, type FetchFunction, type FetchHandlerOptions } from '../../src/adapters/fetch.js';
import type { ServerOptions } from '../../src/http/server.js';
import { startServer } from '../e2e/support.js';

export { cleanup, header, headerAll, RawClient, sleep, waitFor, within } from '../e2e/support.js';

/** A Seal server on 127.0.0.1 running `app`; returns its base URL. */
export async function startFetch(
  app: FetchApplication | FetchFunction,
  options: Omit<ServerOptions, 'handler'> & FetchHandlerOptions = {},
): Promise<{ port: number; base: string }> {
  const { globals, ...server } = options;
  const { port } = await startServer({ ...server, handler: toHandler(app, { globals }) });
  return { port, base: `http://127.0.0.1:${port}` };
}

/** A stream of `chunkBytes`-long chunks, `total` bytes in all (endless when Infinity), counting what was pulled. */
export class CountingSource {
  pulled = 0;
  cancelled: unknown = undefined;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(chunkBytes: number, total = Infinity, fill = 0x61) {
    const chunk = new Uint8Array(chunkBytes).fill(fill);
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          const left = total - this.pulled;
          if (left <= 0) return controller.close();
          const piece = left >= chunkBytes ? chunk.slice() : chunk.slice(0, left);
          this.pulled += piece.byteLength;
          controller.enqueue(piece);
        },
        cancel: (reason) => {
          this.cancelled = reason ?? 'cancelled';
        },
      },
      { highWaterMark: 0 },
    );
  }
}

/** Waits until `read()` stops growing for `quietMs` (bounded by `ms`); returns the settled value. */
export async function settles(read: () => number, quietMs: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let last = read();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`still growing after ${ms} ms (at ${last})`);
}
