/**
 * The HTTP/1.1 connection loop: socket chunks go to the parser, each request goes to the handler,
 * responses leave in request order, and the connection persists, pauses or closes.
 *
 * One request is handled at a time. Pipelined requests wait in the socket's own chunk (the parser
 * pauses after each message until its response has ended), so memory does not grow with the
 * pipeline's depth, and a burst whose handlers answer at once is written with one writev: the
 * socket is corked while a chunk is parsed.
 *
 *   read ─▶ head ─▶ handler ─▶ body ─▶ response ended ─▶ message complete ─▶ keep alive? ─▶ idle
 *                                                                        └─▶ close (FIN, linger)
 *
 * Reading stops (backpressure) while the parser is paused: a handler that has not answered, a
 * body consumer that is behind, or a client that does not read its responses (the socket's write
 * buffer above its high-water mark).
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Connection } from '../net/connection.js';
import { ErrorCode, SealError, type ErrorCode as Code } from './errors.js';
import type { RequestHead } from './head.js';
import { RequestParser, type RequestSink } from './parser.js';
import { Exchange } from './exchange.js';
import type { RequestContext } from './request.js';
import { OutputBatch } from './output.js';
import { errorResponseText } from './response.js';
import type { ResolvedHttpOptions } from './options.js';

/**
 * The largest unread request body that is read and thrown away so the connection can be
 * reused after the handler answered without reading it (as Go's net/http, 256 KiB); a larger
 * one costs the connection instead.
 */
export const MAX_DISCARD_BYTES = 256 * 1024;

export class HttpConnection implements RequestSink {
  private readonly conn: Connection;
  private readonly socket: Socket;
  private readonly options: ResolvedHttpOptions;
  private readonly parser: RequestParser;
  private readonly context: RequestContext;

  /** Unparsed input: the tail of a chunk the parser paused in. */
  private input: Buffer | null = null;
  private inputOffset = 0;
  private exchange: Exchange | null = null;
  private pumping = false;
  /** Responses written while a chunk is parsed leave together (see output.ts). */
  private readonly output: OutputBatch;
  private readingPaused = false;
  private waitingForDrain = false;
  /**
   * The body consumer is behind (its queue is above the high-water mark): parse and read no more
   * until it catches up. A flag rather than the parser's pause alone, because a pause in the
   * last byte of a chunk leaves no unparsed tail to hold, and reading would go on.
   */
  private bodyBehind = false;
  /** No more requests are read: input is dropped until the socket closes. */
  private closing = false;
  /** The client sent its FIN. */
  private peerEnded = false;
  private requestCount = 0;

  /** When the first byte of the current request arrived (0: between requests). */
  private requestStartedAt = 0;
  private headReceived = false;
  /**
   * When the connection became idle, as the timeout sweep saw it; 0 when it became idle after
   * the last sweep, which then records its own clock. A clock read per request (Date.now() is a
   * call into the runtime) measured a few percent of a pipelined request's cost; this way the
   * idle time is counted from at most one sweep interval late, so the keep-alive timeout errs
   * long, never short.
   */
  private idleSince: number;

  constructor(conn: Connection, options: ResolvedHttpOptions, context: RequestContext) {
    this.conn = conn;
    this.socket = conn.socket;
    this.options = options;
    this.context = context;
    this.parser = new RequestParser(this, options.limits);
    this.output = new OutputBatch(conn.socket);
    // Whoever closes the connection (the TCP server, at shutdown) sends held answers before the FIN.
    conn.holdWrites(() => this.output.flush());
    this.idleSince = Date.now();
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
  }

  // --- reading --------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    // The TCP server may have closed a connection that never sent a byte (see shutdown()).
    if (this.closing || this.conn.closing) return;
    if (this.input === null) {
      this.input = chunk;
      this.inputOffset = 0;
    } else {
      // Only when data arrives while paused, which socket.pause() makes rare.
      this.input = Buffer.concat([this.input.subarray(this.inputOffset), chunk]);
      this.inputOffset = 0;
    }
    // The request timers start in pump(), when these bytes are parsed: bytes held while an
    // earlier request is answered are waiting on the server, not on the client.
    this.pump();
  }

  /** Feeds buffered input to the parser until it is used up, or the parser pauses. */
  private pump(): void {
    if (this.pumping || this.closing) return;
    this.pumping = true;
    // Responses written while parsing are batched and leave in one write when the batch ends.
    this.output.begin();
    try {
      while (this.input !== null && this.mayParse()) {
        const input = this.input;
        this.inputOffset += this.parser.execute(input, this.inputOffset, input.length);
        const error = this.parser.error;
        if (error !== null) {
          this.input = null;
          this.onParseError(error);
          break;
        }
        if (this.inputOffset < input.length) break; // paused: resumed by whoever paused it
        this.input = null;
        // Used up: an idle connection keeps nothing of its last chunk.
        this.parser.releaseInput();
      }
    } finally {
      this.pumping = false;
      // Answers leave at the end of this event-loop turn, with the other connections' (output.ts).
      this.output.endLater();
    }
    // The headers timer runs from the first byte of a request; a message may have ended mid-chunk.
    if (this.requestStartedAt === 0 && !this.parser.idle) this.requestStartedAt = Date.now();
    this.updateReading();
    this.closeIfPeerDone();
  }

  /**
   * Whether buffered input may go to the parser now. Not while the response to a complete
   * request is outstanding: one request at a time, and responses leave in request order. The
   * parser's own pause only holds back the rest of the chunk it paused in; the next chunk must
   * wait here. Nor while the client does not read its responses, or a body consumer is behind.
   */
  private mayParse(): boolean {
    const exchange = this.exchange;
    return !this.waitingForDrain && !this.bodyBehind && (exchange === null || !exchange.messageComplete);
  }

  private updateReading(): void {
    const read = this.closing || (this.input === null && !this.waitingForDrain && !this.bodyBehind);
    if (read === this.readingPaused) {
      this.readingPaused = !read;
      if (read) this.socket.resume();
      else this.socket.pause();
    }
  }

  /** The client half-closed: what it sent is all there is. Answer that, then close. */
  private onEnd(): void {
    this.peerEnded = true;
    this.closeIfPeerDone();
  }

  /**
   * After the client's FIN, close once every complete request it sent has been answered. Checked
   * again each time buffered input is used up: input held back (pipelined requests, a paused body)
   * may still complete the current request when it is parsed.
   */
  private closeIfPeerDone(): void {
    if (!this.peerEnded || this.closing || this.input !== null) return;
    const exchange = this.exchange;
    // A request cut off by the FIN can never be completed; nobody waits for its answer.
    if (exchange === null) return this.closeNow();
    if (exchange.messageComplete) return; // answered first; finishExchange() then closes
    exchange.keepAlive = false;
    // Its response has ended and the rest of its body will never come: nothing left to do.
    if (exchange.responseEnded) return this.closeNow();
    exchange.failBody(new SealError(ErrorCode.INCOMPLETE_MESSAGE, 'the client ended inside a request body'));
  }

  /** The socket closed. Called by the service that made this connection (Connection.onClose). */
  onClose(): void {
    this.closing = true;
    this.input = null;
    const exchange = this.exchange;
    if (exchange !== null) {
      exchange.failBody(new SealError(ErrorCode.INCOMPLETE_MESSAGE, 'the connection closed'));
      exchange.aborted = true;
      // The client will never read the rest of this response: tell whoever watches request.signal.
      if (!exchange.responseEnded) exchange.request.abort(new DOMException('the connection closed before the response ended', 'AbortError'));
      exchange.request.finish();
    }
  }

  // --- parser events --------------------------------------------------------------------------------

  onRequestHead(head: RequestHead): boolean {
    this.headReceived = true;
    this.requestCount++;
    this.conn.markActive();
    const exchange = new Exchange(this, head);
    this.exchange = exchange;
    const refusal = refusalOf(head);
    if (refusal !== null) exchange.refuse(new SealError(refusal, 'refused before the handler'));
    else exchange.run(this.options.handler);
    return false;
  }

  onBody(buf: Uint8Array, start: number, end: number): boolean {
    const exchange = this.exchange!;
    if (exchange.discarding) return false;
    // A view of the socket's chunk, not a copy; the chunk itself when the body takes all of it.
    const chunk = start === 0 && end === buf.length && buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
    const behind = exchange.body.push(chunk);
    if (behind) this.bodyBehind = true;
    return behind;
  }

  onMessageComplete(): boolean {
    const exchange = this.exchange!;
    exchange.messageComplete = true;
    exchange.endBody();
    // The whole body is queued; the next request waits for this response anyway.
    this.bodyBehind = false;
    this.requestStartedAt = 0;
    this.headReceived = false;
    // Responses leave in request order: the next request waits for this response to end.
    if (!exchange.responseEnded) return true;
    return !this.finishExchange();
  }

  // --- exchange events ------------------------------------------------------------------------------

  /** The current response has ended (all of it handed to the socket). */
  onResponseEnded(exchange: Exchange): void {
    if (exchange !== this.exchange) return;
    if (!exchange.messageComplete) {
      if (exchange.bodyComplete || this.closing) {
        if (this.closing) this.closeNow();
        return; // the message completes in this very parse, or never
      }
      // The handler answered before the body arrived: skip what is left, or give up the connection.
      const remaining = this.parser.bodyRemaining;
      if (exchange.keepAlive && remaining >= 0 && remaining <= MAX_DISCARD_BYTES) {
        exchange.discarding = true;
        this.bodyBehind = false;
        exchange.failBody(new SealError(ErrorCode.HANDLER_FAILED, 'the response was sent before the body was read'));
        this.pump();
      } else this.closeNow();
      return;
    }
    if (!this.pumping && this.finishExchange()) this.pump();
  }

  /** Both halves of the exchange are done. Returns true when the next request may be read now. */
  private finishExchange(): boolean {
    const exchange = this.exchange!;
    this.exchange = null;
    exchange.request.finish();
    if (!exchange.keepAlive || this.closing) {
      this.closeNow();
      return false;
    }
    this.idleSince = 0;
    this.conn.markIdle();
    if (this.conn.closing) {
      this.closing = true;
      return false;
    }
    if (this.outputFull()) {
      // A client that pipelines without reading: stop reading until it catches up.
      this.waitingForDrain = true;
      this.socket.once('drain', () => {
        this.waitingForDrain = false;
        this.pump();
      });
      return false;
    }
    return true;
  }

  /** The body consumer caught up: parse (and read) again. */
  resumeBody(): void {
    if (!this.bodyBehind) return;
    this.bodyBehind = false;
    if (!this.pumping) this.pump();
  }

  /** The handler gave up on the body (a limit): read no more requests from this connection. */
  abandonBody(exchange: Exchange): void {
    exchange.keepAlive = false;
    this.closing = true;
    this.input = null;
    this.updateReading();
  }

  mayKeepAlive(exchange: Exchange): boolean {
    if (this.closing || this.conn.closing || this.conn.server.closing || !exchange.head.keepAlive) return false;
    if (!exchange.bodyComplete && !exchange.bodyStarted) {
      // RFC 9110 §10.1.1: no 100 was sent, so the client may or may not send the body; close.
      if (exchange.head.expectContinue) return false;
      const remaining = this.parser.bodyRemaining;
      if (remaining < 0 || remaining > MAX_DISCARD_BYTES) return false;
    }
    return true;
  }

  private onParseError(error: SealError): void {
    this.options.onError(error, { client: this.context.client });
    const exchange = this.exchange;
    this.closing = true;
    if (exchange !== null) {
      // The error is in the current request's body: its reader gets the error, the handler decides.
      exchange.keepAlive = false;
      exchange.failBody(error);
      if (exchange.responseEnded) this.closeNow();
      return;
    }
    this.send(errorResponseText(error.status, error.code), 'latin1');
    this.closeNow();
  }

  /** Answers a request whose head was received but whose body timed out, or closes an idle one. */
  checkTimeouts(now: number): void {
    if (this.closing) return;
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = this.options;
    if (this.requestStartedAt > 0) {
      const elapsed = now - this.requestStartedAt;
      if (!this.headReceived && elapsed > headersTimeoutMs) this.timeOut(ErrorCode.HEADERS_TIMEOUT);
      else if (elapsed > requestTimeoutMs && this.exchange !== null && !this.exchange.messageComplete) {
        this.timeOut(ErrorCode.REQUEST_TIMEOUT);
      }
    } else if (this.exchange === null) {
      // Held input (pipelined requests of a client that does not read its responses) is work
      // in progress, not an idle connection: closing it would drop those requests unanswered.
      if (this.input !== null || this.waitingForDrain) return;
      // Idle since the last sweep: the clock starts now (see idleSince).
      if (this.idleSince === 0) {
        this.idleSince = now;
        return;
      }
      // A connection that never sent a request gets the headers timeout; a used one the keep-alive one.
      const limit = this.requestCount === 0 ? headersTimeoutMs : keepAliveTimeoutMs;
      if (now - this.idleSince > limit) this.closeNow();
    }
  }

  private timeOut(code: Code): void {
    const error = new SealError(code, code === ErrorCode.HEADERS_TIMEOUT ? 'the request head took too long' : 'the request took too long');
    this.options.onError(error, { client: this.context.client });
    const exchange = this.exchange;
    this.closing = true;
    this.input = null;
    if (exchange === null) {
      this.send(errorResponseText(error.status, error.code), 'latin1');
      this.closeNow();
      return;
    }
    exchange.keepAlive = false;
    exchange.failBody(error);
    exchange.fail(error);
  }

  /** Stops reading requests and closes once what was written is flushed. */
  closeNow(): void {
    this.closing = true;
    this.input = null;
    this.flush();
    this.conn.close();
  }

  // --- writing ----------------------------------------------------------------------------------------

  send(data: string | Uint8Array, encoding: 'latin1' | 'utf8' = 'utf8'): boolean {
    return this.output.write(data, encoding);
  }

  /** A whole response: its head and body leave together (see OutputBatch.writeMessage). */
  sendMessage(head: string, body: string): void {
    this.output.writeMessage(head, body);
  }

  flush(): void {
    this.output.flush();
  }

  /** True when the socket is above its high-water mark (flushing a batch that would put it there). */
  private outputFull(): boolean {
    const socket = this.socket;
    if (this.output.pending > 0 && socket.writableLength + this.output.pending >= socket.writableHighWaterMark) this.output.flush();
    return socket.writableNeedDrain;
  }

  /** A response's writes that belong together (head and body) are one batch. */
  cork(): void {
    this.output.begin();
  }

  uncork(): void {
    this.output.end();
  }

  /** The server is stopping: close now if idle; a request in flight finishes first. */
  shutdown(): void {
    // A connection that has sent nothing yet is the TCP server's to close, after a grace in
    // which its first request may still arrive (TcpServer.close()).
    if (this.requestCount === 0 && this.input === null && this.socket.bytesRead === 0) return;
    if (this.exchange === null && this.requestStartedAt === 0) this.closeNow();
  }

  /** For the exchange: the socket, the error hook, the request context. */
  get channelSocket(): Socket {
    return this.socket;
  }
  get connection(): Connection {
    return this.conn;
  }
  get requestContext(): RequestContext {
    return this.context;
  }
  get httpOptions(): ResolvedHttpOptions {
    return this.options;
  }
}

/** Requests refused before a handler sees them. */
function refusalOf(head: RequestHead): Code | null {
  // RFC 9110 §10.1.1: an expectation the server cannot meet → 417.
  if (head.unsupportedExpectation) return ErrorCode.EXPECTATION_FAILED;
  // RFC 9110 §9.3.6: Seal is not a proxy and opens no tunnels.
  if (head.isMethod('CONNECT')) return ErrorCode.NOT_IMPLEMENTED;
  return null;
}
