/**
 * The connection's batching writer. Between `begin()` and `end()` (nestable), what a response
 * writes is held, and leaves when the outermost batch ends: the answers to a pipelined burst cost
 * one syscall. Strings are held as they are and joined once (heads are ASCII, so a run of strings
 * is written as one UTF-8 string, which measured cheaper than encoding each into a Buffer slab);
 * Buffers are queued as they are, in order, and a mixed batch leaves with one writev. Outside a
 * batch, writes go straight to the socket.
 */
import type { Socket } from 'node:net';

export class OutputBatch {
  private readonly socket: Socket;
  private depth = 0;
  /** Held pieces in order; consecutive strings are joined when flushed. */
  private readonly queue: (string | Uint8Array)[] = [];
  private queued = 0;
  private hasBytes = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  get batching(): boolean {
    return this.depth > 0;
  }

  /** Bytes (string length for strings) held by the batch, not yet handed to the socket. */
  get pending(): number {
    return this.queued;
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
    this.queue.push(data);
    this.queued += data.length;
    if (typeof data !== 'string') this.hasBytes = true;
    return socket.writableLength + this.queued < socket.writableHighWaterMark;
  }

  /** Hands everything held to the socket: one write, or one writev when Buffers are in it. */
  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    const socket = this.socket;
    if (queue.length === 1) {
      const only = queue[0]!;
      if (typeof only === 'string') socket.write(only, 'utf8');
      else socket.write(only);
    } else if (!this.hasBytes) socket.write(queue.join(''), 'utf8');
    else {
      socket.cork();
      let run = '';
      for (const piece of queue) {
        if (typeof piece === 'string') run += piece;
        else {
          if (run !== '') socket.write(run, 'utf8');
          run = '';
          socket.write(piece);
        }
      }
      if (run !== '') socket.write(run, 'utf8');
      socket.uncork();
    }
    queue.length = 0;
    this.queued = 0;
    this.hasBytes = false;
  }
}
