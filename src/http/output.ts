/**
 * The connection's batching writer. Between `begin()` and `end()` (nestable), what a response
 * writes is held, and leaves when the outermost batch ends: the answers to a pipelined burst cost
 * one syscall. A run of strings is held as one string, appended to (V8 makes that a rope, one
 * small object per piece, no copying), and written once: heads are ASCII, so the run leaves as
 * one UTF-8 string, which measured cheaper than encoding each piece into a Buffer slab, and
 * cheaper than queueing the pieces in an array and joining them. Buffers are queued as they
 * are, in order, and a mixed batch leaves with one writev. Outside a batch, writes go straight
 * to the socket, after anything still held. A whole message that is the same as the last one
 * (a keep-alive client asking for the same thing) leaves as bytes encoded once (repeatedMessage).
 *
 * `endLater()` ends the batch the connection loop opens around each socket read, and holds what
 * it gathered until the event loop has handed out every read of this turn (its check phase):
 * under load the responses of many connections then leave back to back, and a client that is
 * woken by the first finds the others waiting instead of being woken again for each (waking a
 * sleeping peer is most of a loopback write's kernel time). A connection that is not busy loses
 * nothing: the check phase follows its read at once.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';

export class OutputBatch {
  private readonly socket: Socket;
  private depth = 0;
  /** The strings written since the last Buffer (or since the batch began), as one string. */
  private text = '';
  /** Pieces before `text` in a batch that holds Buffers, in order; empty in an all-string batch. */
  private readonly queue: (string | Uint8Array)[] = [];
  private queued = 0;
  /** In the list of batches flushed at the check phase (a socket may be read twice in a turn). */
  private held = false;
  /**
   * A batch that holds one whole message and nothing else holds it as bytes, when they are
   * known (see repeatedMessage): a Buffer leaves without being encoded. Anything written after
   * it turns it back into its text (`heldHead` + `heldBody`), so a batch still leaves as one string.
   */
  private bytes: Buffer | null = null;
  private heldHead = '';
  private heldBody = '';

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

  /** Ends a batch; the outermost end flushes in this turn's check phase (see above). */
  endLater(): void {
    if (this.depth > 0 && --this.depth === 0 && this.queued > 0 && !this.held) {
      this.held = true;
      flushAtCheck(this);
    }
  }

  /**
   * Writes `data`; `latin1` strings are ASCII (the head), `utf8` ones are body text. Returns false
   * when the socket, with what the batch holds, is above its high-water mark.
   */
  write(data: string | Uint8Array, encoding: 'latin1' | 'utf8'): boolean {
    const socket = this.socket;
    if (this.depth === 0) {
      if (this.queued > 0) this.flush();
      return typeof data === 'string' ? socket.write(data, encoding) : socket.write(data);
    }
    if (this.bytes !== null) this.textOfBytes();
    if (typeof data === 'string') this.text += data;
    else {
      if (this.text !== '') this.queue.push(this.text);
      this.text = '';
      this.queue.push(data);
    }
    this.queued += data.length;
    return socket.writableLength + this.queued < socket.writableHighWaterMark;
  }

  /**
   * Writes a whole response, an ASCII head and a UTF-8 body: `write` twice, without the
   * high-water answer that nobody waits for once a response has ended.
   */
  writeMessage(head: string, body: string): void {
    if (this.depth === 0) {
      if (this.queued > 0) this.flush();
      const bytes = repeatedMessage(head, body);
      if (bytes !== null) this.socket.write(bytes);
      else this.socket.write(head + body, 'utf8');
      return;
    }
    if (this.queued === 0) {
      const bytes = repeatedMessage(head, body);
      if (bytes !== null) {
        this.bytes = bytes;
        this.heldHead = head;
        this.heldBody = body;
        this.queued = bytes.length;
        return;
      }
    } else if (this.bytes !== null) this.textOfBytes();
    this.text += head;
    this.text += body;
    this.queued += head.length + body.length;
  }

  /** The held message goes back to being text, for what is written after it to join. */
  private textOfBytes(): void {
    this.text = this.heldHead + this.heldBody;
    this.bytes = null;
    this.heldHead = this.heldBody = '';
  }

  /** Hands everything held to the socket: one write, or one writev when Buffers are in it. */
  flush(): void {
    const queue = this.queue;
    const text = this.text;
    const socket = this.socket;
    const bytes = this.bytes;
    if (bytes !== null) {
      // Alone in the batch, by construction.
      this.bytes = null;
      this.heldHead = this.heldBody = '';
      if (!socket.destroyed) socket.write(bytes);
    } else if (socket.destroyed) {
      // Nobody will read it: a client that went away, or a connection torn down.
      queue.length = 0;
    } else if (queue.length === 0) {
      if (text !== '') socket.write(text, 'utf8');
    } else {
      if (text !== '') queue.push(text);
      socket.cork();
      for (const piece of queue) {
        if (typeof piece === 'string') socket.write(piece, 'utf8');
        else socket.write(piece);
      }
      socket.uncork();
      queue.length = 0;
    }
    this.text = '';
    this.queued = 0;
    this.held = false;
  }
}

/**
 * Batches waiting for the check phase: the first `heldCount` entries of `held`. Two lists take
 * turns, so that the lists are made once, not once a turn (a batch listed while the other list is
 * being flushed waits for the next check).
 */
let held: (OutputBatch | null)[] = [];
let spare: (OutputBatch | null)[] = [];
let heldCount = 0;
let scheduled = false;

function flushAtCheck(batch: OutputBatch): void {
  held[heldCount++] = batch;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushHeld);
  }
}

function flushHeld(): void {
  const batches = held;
  const count = heldCount;
  held = spare;
  heldCount = 0;
  spare = batches;
  scheduled = false;
  for (let i = 0; i < count; i++) {
    const batch = batches[i]!;
    // Let go of it, so a closed connection is not kept alive by the list.
    batches[i] = null;
    // A batch flushed in between (a write outside a batch, a close) has nothing left: flush is cheap.
    batch.flush();
  }
}

/**
 * The bytes of the message written last, once the same head and body came twice in a row: a
 * handler that answers with a constant body gets the same head string back from the writer's
 * cache (response.ts) until the Date changes, so the comparisons are mostly of identical
 * strings. Writing a Buffer spares encoding the message into the socket on every write (a
 * string write flattens and UTF-8-encodes it each time). Only messages of up to
 * MAX_REPEATED_CHARS are remembered, so the cache stays small.
 */
const MAX_REPEATED_CHARS = 2048;
let repeatedHead = '';
let repeatedBody = '';
let repeatedBytes: Buffer | null = null;

function repeatedMessage(head: string, body: string): Buffer | null {
  if (head === repeatedHead && body === repeatedBody) return (repeatedBytes ??= Buffer.from(head + body, 'utf8'));
  if (head.length + body.length <= MAX_REPEATED_CHARS) {
    repeatedHead = head;
    repeatedBody = body;
    repeatedBytes = null;
  }
  return null;
}
