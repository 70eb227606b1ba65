/**
 * The connection's batching writer. Between `begin()` and `end()` (nestable), what a response
 * writes is encoded straight into a slab of memory, and leaves as one `socket.write` of one
 * Buffer when the outermost batch ends: the answers to a pipelined burst cost one syscall, and a
 * single response costs no string concatenation and no per-write bookkeeping in the stream.
 * Large Buffers are not copied: they are queued as they are, in order, and written with one
 * writev. Outside a batch, writes go straight to the socket.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';

/** Slab size: a slab serves many small responses before a new one is allocated. */
const SLAB_BYTES = 64 * 1024;
/** Buffers up to this size are copied into the slab; larger ones are queued as views. */
const COPY_LIMIT_BYTES = 4 * 1024;
/** Strings up to this many characters are encoded into the slab (worst case 3 bytes a char). */
const ENCODE_LIMIT_CHARS = 16 * 1024;

export class OutputBatch {
  private readonly socket: Socket;
  private depth = 0;
  private slab: Buffer = Buffer.alloc(0);
  /** The slab's bytes [start, used) are written but not yet queued. */
  private start = 0;
  private used = 0;
  private readonly queue: Buffer[] = [];
  private queued = 0;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  get batching(): boolean {
    return this.depth > 0;
  }

  /** Bytes held by the batch, not yet handed to the socket. */
  get pending(): number {
    return this.queued + this.used - this.start;
  }

  begin(): void {
    this.depth++;
  }

  /** Ends a batch; the outermost end flushes. */
  end(): void {
    if (this.depth > 0 && --this.depth === 0) this.flush();
  }

  /**
   * Writes `data`; `latin1` strings are ASCII (the head), `utf8` ones are body text. Returns false
   * when the socket, with what the batch holds, is above its high-water mark.
   */
  write(data: string | Uint8Array, encoding: 'latin1' | 'utf8'): boolean {
    const socket = this.socket;
    if (this.depth === 0) return typeof data === 'string' ? socket.write(data, encoding) : socket.write(data);
    if (typeof data === 'string') {
      if (data.length <= ENCODE_LIMIT_CHARS) {
        this.reserve(encoding === 'latin1' ? data.length : data.length * 3);
        this.used += this.slab.write(data, this.used, encoding);
      } else this.enqueue(Buffer.from(data, encoding));
    } else if (data.byteLength <= COPY_LIMIT_BYTES) {
      this.reserve(data.byteLength);
      this.slab.set(data, this.used);
      this.used += data.byteLength;
    } else {
      this.enqueue(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    return socket.writableLength + this.pending < socket.writableHighWaterMark;
  }

  /** Hands everything held to the socket: one write, or one writev for several pieces. */
  flush(): void {
    this.cut();
    const queue = this.queue;
    if (queue.length === 0) return;
    const socket = this.socket;
    if (queue.length === 1) socket.write(queue[0]!);
    else {
      socket.cork();
      for (const piece of queue) socket.write(piece);
      socket.uncork();
    }
    queue.length = 0;
    this.queued = 0;
  }

  /** Makes room for `bytes` in the slab, queueing what it holds first when a new slab is needed. */
  private reserve(bytes: number): void {
    if (this.slab.length - this.used >= bytes) return;
    this.cut();
    // The old slab's queued views keep it alive until written; the new one starts empty.
    this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, bytes));
    this.start = 0;
    this.used = 0;
  }

  /** Queues the slab's written bytes as a view; the rest of the slab stays free for more. */
  private cut(): void {
    if (this.used === this.start) return;
    this.queue.push(this.slab.subarray(this.start, this.used));
    this.queued += this.used - this.start;
    this.start = this.used;
  }

  private enqueue(piece: Buffer): void {
    this.cut();
    this.queue.push(piece);
    this.queued += piece.length;
  }
}
