/**
 * A request body as an async iterable of Buffers, fed by the connection loop with zero-copy views
 * of the socket's chunks. Backpressure is a return value: `push` answers true when the consumer is
 * behind by more than the high-water mark, and the connection stops reading the socket until the
 * consumer catches up and `resume` is called.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode, SealError } from './errors.js';

/** Bytes queued for a slow consumer before the socket stops being read. */
export const BODY_HIGH_WATER_MARK = 64 * 1024;

/** What the body needs from the connection that feeds it. */
export interface BodySource {
  /** The consumer wants bytes: send `100 Continue` if the client waits for it (RFC 9110 §10.1.1). */
  startReading(): void;
  /** The queue drained below the high-water mark: read the socket again. */
  resume(): void;
  /** The consumer gave up (limit exceeded): the rest of the body will not be read. */
  abandon(): void;
}

const ITERATOR_NEW = 0;
const ITERATOR_READING = 1;
const ITERATOR_DONE = 2;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class RequestBody implements AsyncIterable<Buffer> {
  /** Declared length (Content-Length), -1 when chunked. */
  readonly declaredLength: number;
  private readonly source: BodySource;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended: boolean;
  private failure: Error | null = null;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private reading = false;
  private consumed = false;

  constructor(source: BodySource, declaredLength: number) {
    this.source = source;
    this.declaredLength = declaredLength;
    this.ended = declaredLength === 0;
  }

  /** True once someone started reading (or gave up on) the body. */
  get started(): boolean {
    return this.reading;
  }

  /** True while more than the high-water mark is queued for the consumer. */
  get behind(): boolean {
    return this.queued > BODY_HIGH_WATER_MARK;
  }

  /** True once every byte has been received from the client. */
  get complete(): boolean {
    return this.ended;
  }

  // --- the connection's side ------------------------------------------------------------------------

  /** Queues body bytes. Returns true when the consumer is behind: stop reading until `resume`. */
  push(chunk: Buffer): boolean {
    if (this.consumed) return false;
    this.queue.push(chunk);
    this.queued += chunk.byteLength;
    this.wake();
    return this.queued > BODY_HIGH_WATER_MARK;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(err: Error): void {
    if (this.ended && this.queue.length === 0) return;
    this.failure = err;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(err);
  }

  // --- the consumer's side --------------------------------------------------------------------------

  /**
   * The chunks as they arrive. Written out rather than as an async generator: a chunk already
   * queued is handed over in one settled promise, without the generator's resumption machinery,
   * and a body arrives in a few chunks per request on the hot path of every upload.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    let state = ITERATOR_NEW;
    const next = (): Promise<IteratorResult<Buffer>> => {
      if (state === ITERATOR_DONE) return Promise.resolve(DONE);
      if (state === ITERATOR_NEW) {
        state = ITERATOR_READING;
        try {
          this.begin();
        } catch (error) {
          state = ITERATOR_DONE;
          return Promise.reject(error);
        }
      }
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.byteLength;
        if (this.queued <= BODY_HIGH_WATER_MARK) this.source.resume();
        return Promise.resolve({ value: chunk, done: false });
      }
      if (this.failure !== null) {
        state = ITERATOR_DONE;
        return Promise.reject(this.failure);
      }
      if (this.ended) {
        state = ITERATOR_DONE;
        return Promise.resolve(DONE);
      }
      // Woken from inside the connection's push(): the chunk is taken afterwards, not re-entrantly.
      return new Promise<void>((resolve, reject) => {
        this.waiting = {
          resolve,
          reject: (error) => {
            state = ITERATOR_DONE;
            reject(error);
          },
        };
      }).then(next);
    };
    return {
      next,
      // `break` in for await: the consumer is done; what arrives later stays queued, as before.
      return: () => {
        state = ITERATOR_DONE;
        return Promise.resolve(DONE);
      },
    };
  }

  /**
   * The whole body, at most `maxBytes` long. A declared length over the limit is refused before a
   * byte is read (413); a chunked body is refused as soon as it passes the limit.
   */
  async bytes(maxBytes: number): Promise<Buffer> {
    if (this.declaredLength > maxBytes) throw this.tooLarge(maxBytes);
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this) {
      total += chunk.byteLength;
      if (total > maxBytes) throw this.tooLarge(maxBytes);
      parts.push(chunk);
    }
    // One chunk is returned as it is, a view of the socket's buffer; several are joined once.
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  async text(maxBytes: number): Promise<string> {
    return (await this.bytes(maxBytes)).toString('utf8');
  }

  async json(maxBytes: number): Promise<unknown> {
    const text = await this.text(maxBytes);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SealError(ErrorCode.INVALID_BODY, 'the body is not valid JSON');
    }
  }

  /** Drops what is queued and whatever arrives later: the consumer wants no more of it. */
  discard(): void {
    this.reading = true;
    this.consumed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.source.resume();
  }

  private begin(): void {
    if (this.reading) throw new SealError(ErrorCode.HANDLER_FAILED, 'the body can be read only once');
    this.reading = true;
    this.source.startReading();
  }

  private tooLarge(maxBytes: number): SealError {
    if (!this.reading) this.reading = true;
    this.consumed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.source.abandon();
    return new SealError(ErrorCode.BODY_TOO_LARGE, `the body is larger than ${maxBytes} bytes`);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve();
  }
}
