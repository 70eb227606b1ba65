/**
 * `wsgi.input`: the request body for a WSGI application, read the way PEP 3333 reads it —
 * `read(size)`, `readline()`, `readlines()` — or chunk by chunk with `for await`. Reads are
 * pulled from Seal's body as the application asks, so a slow reader holds the client back.
 */
import { Buffer } from 'node:buffer';
import type { RequestBody } from '../http/body.js';

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;

export class WsgiInput implements AsyncIterable<Uint8Array> {
  private readonly body: RequestBody;
  private chunks: AsyncIterator<Buffer> | undefined;
  /** Bytes taken from the body and not yet handed out. */
  private rest: Buffer = EMPTY;
  private ended = false;

  constructor(body: RequestBody) {
    this.body = body;
  }

  /** Up to `size` bytes (fewer only at the end of the body); all that is left when `size` is negative or absent. */
  async read(size = -1): Promise<Uint8Array> {
    if (size < 0) {
      const parts: Buffer[] = [this.take(this.rest.length)];
      for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) parts.push(chunk);
      return Buffer.concat(parts);
    }
    while (this.rest.length < size && (await this.fill())) {
      // fill() appended to `rest`
    }
    return this.take(Math.min(size, this.rest.length));
  }

  /** The next line, with its LF; at most `limit` bytes when `limit` is not negative; empty at the end. */
  async readline(limit = -1): Promise<Uint8Array> {
    let scanned = 0;
    for (;;) {
      const lf = this.rest.indexOf(LF, scanned);
      if (lf >= 0 && (limit < 0 || lf < limit)) return this.take(lf + 1);
      if (limit >= 0 && this.rest.length >= limit) return this.take(limit);
      scanned = this.rest.length;
      if (!(await this.fill())) return this.take(this.rest.length);
    }
  }

  /** Every remaining line. */
  async readlines(): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = [];
    for (let line = await this.readline(); line.length > 0; line = await this.readline()) lines.push(line);
    return lines;
  }

  /** The remaining body, chunk by chunk as it arrives (views, not copies). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.rest.length > 0) yield this.take(this.rest.length);
    for (let chunk = await this.next(); chunk !== null; chunk = await this.next()) yield chunk;
  }

  private take(length: number): Buffer {
    const out = this.rest.subarray(0, length);
    this.rest = this.rest.subarray(length);
    return out;
  }

  /** Appends the next chunk to `rest`; false at the end of the body. */
  private async fill(): Promise<boolean> {
    const chunk = await this.next();
    if (chunk === null) return false;
    this.rest = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    return true;
  }

  private async next(): Promise<Buffer | null> {
    if (this.ended) return null;
    this.chunks ??= this.body[Symbol.asyncIterator]();
    const next = await this.chunks.next();
    if (next.done === true) {
      this.ended = true;
      return null;
    }
    return next.value;
  }
}
