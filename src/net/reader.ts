import type { Readable } from 'node:stream';
import { NET_ERROR_CODES, NetError } from './errors.js';

/** Bytes buffered before the socket is paused: as node:net's own readable buffer, so one extra copy at most. */
export const DEFAULT_READER_HIGH_WATER_MARK = 64 * 1024;

/** Default bound for `readLine()`: a line longer than this is a protocol abuse, not data. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = 0x0a;
const LF_DELIMITER = new Uint8Array([LF]);

/** Compact the chunk list once this many consumed slots sit before its head. */
const COMPACT_AFTER_CHUNKS = 64;

export interface ByteReaderOptions {
  /** Pause the socket when at least this many bytes are buffered and no read is waiting. */
  highWaterMark?: number;
}

/** What `readUntil`/`readLine` do at EOF when the delimiter never came. */
const AT_EOF_THROW = 0;
const AT_EOF_RETURN_REST = 1;
type AtEof = typeof AT_EOF_THROW | typeof AT_EOF_RETURN_REST;

/**
 * A buffered reader over a socket's 'data' events.
 *
 * - Results are `subarray` views of the socket's chunk when they lie within one chunk; a result
 *   spanning chunks is copied once with `Buffer.concat`. Views stay valid: node:net never reuses
 *   a chunk's memory.
 * - Backpressure: the socket is paused while `highWaterMark` bytes are buffered and no read is
 *   waiting, and resumed when a read needs more or the buffer is drained.
 * - Every wait ends with the socket: 'end' and 'close' are EOF, 'error' rejects.
 * - Reads are sequential: starting one while another is pending rejects with READ_IN_PROGRESS.
 * - A failed read (LIMIT_EXCEEDED, UNEXPECTED_EOF) consumes nothing.
 */
export class ByteReader {
  readonly #stream: Readable;
  readonly #highWaterMark: number;

  // The buffered bytes are chunks[head][offset..] followed by chunks[head + 1..].
  #chunks: Buffer[] = [];
  #head = 0;
  #offset = 0;
  #buffered = 0;

  #eof = false;
  #error: Error | undefined;
  #discarding = false;
  #paused = false;
  #busy = false;
  #wake: (() => void) | undefined;

  // Delimiter scan, kept across waits so bytes already scanned are never scanned again.
  #scanChunk = 0;
  #scanOffset = 0;
  #scanned = 0;
  #matched = 0;

  constructor(stream: Readable, options: ByteReaderOptions = {}) {
    this.#stream = stream;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_READER_HIGH_WATER_MARK;
    if (stream.destroyed || stream.readableEnded) {
      this.#eof = true;
      return;
    }
    stream.on('data', this.#onData);
    stream.once('end', this.#onEnd);
    stream.once('close', this.#onEnd);
    stream.on('error', this.#onError);
  }

  /** Bytes received and not yet returned by a read. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True once the peer ended the stream (or it closed) and every buffered byte was read. */
  get ended(): boolean {
    return this.#eof && this.#buffered === 0;
  }

  /** The next available bytes (one chunk or its unread tail), or null at EOF. */
  async read(): Promise<Buffer | null> {
    this.#begin();
    try {
      for (;;) {
        const chunk = this.#chunks[this.#head];
        if (chunk !== undefined) return this.#consume(chunk.length - this.#offset);
        if (this.#eof) return this.#finalOrNull();
        await this.#waitForData();
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Exactly `n` bytes; rejects with UNEXPECTED_EOF (consuming nothing) when the stream ends first. */
  async readExactly(n: number): Promise<Buffer> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`readExactly: n must be a non-negative integer, got ${n}`);
    this.#begin();
    try {
      for (;;) {
        if (this.#buffered >= n) return this.#consume(n);
        if (this.#eof) {
          this.#throwIfErrored();
          throw new NetError(NET_ERROR_CODES.UNEXPECTED_EOF, `stream ended after ${this.#buffered} of ${n} bytes`);
        }
        await this.#waitForData();
      }
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Bytes up to and including the next LF; at EOF the unterminated rest, then null.
   * Rejects with LIMIT_EXCEEDED when `maxBytes` bytes hold no LF.
   */
  readLine(maxBytes: number = DEFAULT_MAX_LINE_BYTES): Promise<Buffer | null> {
    return this.#readThrough(LF_DELIMITER, maxBytes, AT_EOF_RETURN_REST);
  }

  /**
   * Bytes up to and including the first `delimiter`, whose end must lie within `maxBytes`
   * (else LIMIT_EXCEEDED, raised as soon as `maxBytes` bytes are buffered, not at EOF).
   * Null at a clean EOF; UNEXPECTED_EOF when the stream ends after some bytes but before the delimiter.
   */
  readUntil(delimiter: Uint8Array, maxBytes: number): Promise<Buffer | null> {
    return this.#readThrough(delimiter, maxBytes, AT_EOF_THROW);
  }

  /**
   * Drops what is buffered and everything that arrives later; pending and later reads see EOF.
   * The connection calls this when it closes, so the socket can flow and its FIN be seen.
   */
  discard(): void {
    this.#discarding = true;
    this.#eof = true;
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
    this.#resetScan();
    this.#resume();
    this.#notify();
  }

  async #readThrough(delimiter: Uint8Array, maxBytes: number, atEof: AtEof): Promise<Buffer | null> {
    if (delimiter.length === 0) throw new RangeError('readUntil: empty delimiter');
    if (Number.isNaN(maxBytes) || maxBytes < 0) throw new RangeError(`readUntil: bad maxBytes ${maxBytes}`);
    this.#begin();
    const failure = delimiter.length === 1 ? undefined : failureTable(delimiter);
    this.#resetScan();
    try {
      for (;;) {
        const length = this.#scan(delimiter, failure, maxBytes);
        if (length >= 0) return this.#consume(length);
        if (this.#scanned >= maxBytes) {
          throw new NetError(NET_ERROR_CODES.LIMIT_EXCEEDED, `no delimiter within ${maxBytes} bytes`);
        }
        if (this.#eof) {
          if (this.#buffered === 0) return this.#finalOrNull();
          if (atEof === AT_EOF_RETURN_REST) return this.#consume(this.#buffered);
          this.#throwIfErrored();
          throw new NetError(NET_ERROR_CODES.UNEXPECTED_EOF, `stream ended before the delimiter`);
        }
        await this.#waitForData();
      }
    } finally {
      this.#resetScan();
      this.#busy = false;
    }
  }

  /**
   * Continues the scan from where the last call stopped (Knuth–Morris–Pratt, so a partial match
   * straddling chunks needs no look-back). Returns the length through the delimiter, or -1.
   */
  #scan(delimiter: Uint8Array, failure: Int32Array | undefined, maxBytes: number): number {
    const chunks = this.#chunks;
    const last = delimiter.length - 1;
    const first = delimiter[0]!;
    let index = this.#scanChunk;
    let pos = this.#scanOffset;
    let scanned = this.#scanned;
    let matched = this.#matched;
    while (index < chunks.length && scanned < maxBytes) {
      const chunk = chunks[index]!;
      const start = pos;
      const end = Math.min(chunk.length, pos + (maxBytes - scanned));
      while (pos < end) {
        if (matched === 0) {
          // Jump to the next candidate natively; most bytes are not the delimiter's first.
          const hit = chunk.indexOf(first, pos);
          if (hit === -1 || hit >= end) {
            pos = end;
            break;
          }
          pos = hit;
        } else {
          const byte = chunk[pos]!;
          while (matched > 0 && delimiter[matched] !== byte) matched = failure![matched - 1]!;
          if (delimiter[matched] !== byte) {
            pos++;
            continue;
          }
        }
        if (matched === last) {
          this.#resetScan();
          return scanned + (pos - start) + 1;
        }
        matched++;
        pos++;
      }
      scanned += pos - start;
      if (pos === chunk.length) {
        index++;
        pos = 0;
      }
    }
    this.#scanChunk = index;
    this.#scanOffset = pos;
    this.#scanned = scanned;
    this.#matched = matched;
    return -1;
  }

  #resetScan(): void {
    this.#scanChunk = this.#head;
    this.#scanOffset = this.#offset;
    this.#scanned = 0;
    this.#matched = 0;
  }

  /** Removes `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  #consume(n: number): Buffer {
    const first = this.#chunks[this.#head];
    let result: Buffer;
    if (n === 0) {
      result = Buffer.alloc(0);
    } else if (first !== undefined && n <= first.length - this.#offset) {
      result = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) this.#advanceHead();
    } else {
      const parts: Buffer[] = [];
      let needed = n;
      while (needed > 0) {
        // Re-read the list each time: advancing the head may compact it.
        const chunk = this.#chunks[this.#head]!;
        const take = Math.min(needed, chunk.length - this.#offset);
        parts.push(chunk.subarray(this.#offset, this.#offset + take));
        needed -= take;
        this.#offset += take;
        if (this.#offset === chunk.length) this.#advanceHead();
      }
      result = Buffer.concat(parts, n);
    }
    this.#buffered -= n;
    this.#resetScan();
    if (this.#buffered === 0) this.#resume();
    return result;
  }

  #advanceHead(): void {
    this.#head++;
    this.#offset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER_CHUNKS && this.#head * 2 >= this.#chunks.length) {
      // Amortised O(1) per chunk, unlike Array#shift on every consume.
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  #begin(): void {
    if (this.#busy) throw new NetError(NET_ERROR_CODES.READ_IN_PROGRESS, 'a read is already pending on this reader');
    this.#busy = true;
  }

  #finalOrNull(): null {
    this.#throwIfErrored();
    return null;
  }

  #throwIfErrored(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  #waitForData(): Promise<void> {
    this.#throwIfErrored();
    // A waiting read is demand: it bounds its own size, so it may pull past the high-water mark.
    this.#resume();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#stream.resume();
  }

  readonly #onData = (chunk: Buffer | string): void => {
    if (this.#discarding) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    if (this.#buffered >= this.#highWaterMark && this.#wake === undefined && !this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
    this.#notify();
  };

  readonly #onEnd = (): void => {
    this.#eof = true;
    this.#notify();
  };

  readonly #onError = (err: Error): void => {
    this.#error ??= err;
    this.#eof = true;
    this.#notify();
  };
}

/** KMP failure function: failure[i] is the longest proper border of delimiter[0..i]. */
function failureTable(delimiter: Uint8Array): Int32Array {
  const failure = new Int32Array(delimiter.length);
  let k = 0;
  for (let i = 1; i < delimiter.length; i++) {
    const byte = delimiter[i]!;
    while (k > 0 && delimiter[k] !== byte) k = failure[k - 1]!;
    if (delimiter[k] === byte) k++;
    failure[i] = k;
  }
  return failure;
}
