import type { Writable } from 'node:stream';

/**
 * A thin writer over a socket whose backpressure is a return value, never a hidden queue:
 * `write` says false once the socket buffers more than its high-water mark, and the caller
 * awaits `drain()` before writing more.
 *
 * Writes after the socket ended or was destroyed are dropped and return false, because the
 * peer is gone and an error event would only race the socket's own 'close'.
 */
export class ByteWriter {
  readonly #stream: Writable;
  #corks = 0;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  /** False once the stream was ended or destroyed. */
  get writable(): boolean {
    const stream = this.#stream;
    return !stream.destroyed && !stream.writableEnded;
  }

  /** True while the caller should wait for `drain()` before writing more. */
  get needsDrain(): boolean {
    return this.writable && this.#stream.writableNeedDrain;
  }

  /** Queues bytes (strings as UTF-8 unless told otherwise); false means "wait for drain()". */
  write(data: Uint8Array | string, encoding: BufferEncoding = 'utf8'): boolean {
    if (!this.writable) return false;
    if (typeof data === 'string') return this.#stream.write(data, encoding);
    return this.#stream.write(data);
  }

  /** Resolves when the stream can take more, or when it is gone (so awaiting never hangs). */
  drain(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return settleOn(this.#stream, ['drain', 'close', 'error']);
  }

  /**
   * Writes `data` if given, then ends the stream (FIN after flushing). Resolves once everything
   * was handed to the kernel, or the stream closed first.
   */
  end(data?: Uint8Array | string, encoding: BufferEncoding = 'utf8'): Promise<void> {
    const stream = this.#stream;
    if (stream.writableFinished || stream.destroyed) return Promise.resolve();
    const settled = settleOn(stream, ['finish', 'close', 'error']);
    this.#uncorkAll();
    if (!stream.writableEnded) {
      if (data === undefined) stream.end();
      else if (typeof data === 'string') stream.end(data, encoding);
      else stream.end(data);
    }
    return settled;
  }

  /** Holds writes in memory until the matching `uncork()`, so many small writes leave as one. */
  cork(): void {
    this.#corks++;
    this.#stream.cork();
  }

  uncork(): void {
    if (this.#corks === 0) return;
    this.#corks--;
    this.#stream.uncork();
  }

  /** Runs `fn` corked, so the writes it makes go out in one batch; uncorks even if it throws. */
  batch<T>(fn: (writer: this) => T): T {
    this.cork();
    try {
      return fn(this);
    } finally {
      this.uncork();
    }
  }

  /** Writes every chunk in one batch; the result is the last write's backpressure signal. */
  writeAll(chunks: readonly (Uint8Array | string)[]): boolean {
    return this.batch(() => {
      let ok = true;
      for (const chunk of chunks) ok = this.write(chunk);
      return ok;
    });
  }

  #uncorkAll(): void {
    while (this.#corks > 0) this.uncork();
  }
}

/** One-shot wait for the first of `events`; removes every listener it added. */
function settleOn(stream: Writable, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) stream.off(event, done);
      resolve();
    };
    for (const event of events) stream.on(event, done);
  });
}
