/**
 * One request and its response on a connection: the response's channel (writes go through the
 * connection's batch) and the body's source (100-continue, backpressure, giving up), and what
 * happens when the handler returns, throws or rejects.
 */
import { FormError } from '../form/errors.js';
import { RequestBody, type BodySource } from './body.js';
import type { HttpConnection } from './connection.js';
import { ErrorCode, SealError } from './errors.js';
import type { RequestHead } from './head.js';
import { Request } from './request.js';
import { Response, type ResponseChannel } from './response.js';

/** One request and its response: the response's channel and the body's source. */
export class Exchange implements ResponseChannel, BodySource {
  readonly head: RequestHead;
  readonly request: Request;
  readonly response: Response;
  readonly headRequest: boolean;
  readonly versionMinor: number;
  messageComplete = false;
  responseEnded = false;
  keepAlive = true;
  discarding = false;
  aborted = false;
  /**
   * The body stream, made when first asked for: a request without a body (most of them) is
   * answered without one being made. Until then, what the connection reports is kept here.
   */
  private bodyStream: RequestBody | null = null;
  private bodyEnded: boolean;
  private bodyFailure: Error | null = null;
  /** The error `abort()` reported, so that the same error rethrown by the handler is not reported twice. */
  private abortReason: Error | null = null;
  private readonly owner: HttpConnection;

  constructor(owner: HttpConnection, head: RequestHead) {
    this.owner = owner;
    this.head = head;
    this.headRequest = head.isMethod('HEAD');
    this.versionMinor = head.versionMinor;
    this.bodyEnded = head.contentLength === 0;
    this.request = new Request(head, this, owner.requestContext);
    this.response = new Response(this);
  }

  /** The request body as a stream; see `bodyStream`. */
  get body(): RequestBody {
    let body = this.bodyStream;
    if (body === null) {
      body = this.bodyStream = new RequestBody(this, this.head.contentLength);
      // In the order they were reported: a failure and then the end still reads as the failure.
      if (this.bodyFailure !== null) body.fail(this.bodyFailure);
      if (this.bodyEnded) body.end();
    }
    return body;
  }

  /** Every byte of the body has arrived. */
  get bodyComplete(): boolean {
    return this.bodyStream === null ? this.bodyEnded : this.bodyStream.complete;
  }

  /** Someone started reading (or gave up on) the body. */
  get bodyStarted(): boolean {
    return this.bodyStream !== null && this.bodyStream.started;
  }

  /** The connection's side: the body is complete. */
  endBody(): void {
    if (this.bodyStream !== null) this.bodyStream.end();
    else this.bodyEnded = true;
  }

  /** The connection's side: the rest of the body will not come (a body already complete keeps its bytes). */
  failBody(error: Error): void {
    if (this.bodyStream !== null) this.bodyStream.fail(error);
    else if (!this.bodyEnded) this.bodyFailure = error;
  }

  run(handler: (request: Request, response: Response) => void | Promise<void>): void {
    let result: void | Promise<void>;
    try {
      result = handler(this.request, this.response);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.settled(),
        (err: unknown) => this.fail(err),
      );
    } else this.settled();
  }

  /** The handler returned: a response it did not end is ended now (an empty 200 if nothing was set). */
  private settled(): void {
    if (this.response.finished || this.aborted) return;
    try {
      this.response.end();
    } catch (err) {
      this.fail(err);
    }
  }

  /** The handler failed: 500 (or the SealError's own status) if nothing was sent, else the connection goes. */
  fail(thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const options = this.owner.httpOptions;
    const known = knownErrorOf(error);
    if (error !== this.abortReason && !(known !== null && known.status < 500)) {
      options.onError(error, { client: this.owner.requestContext.client, request: this.request });
    }
    if (this.aborted || (this.response.finished && this.responseEnded)) return;
    if (this.response.headersSent) {
      this.aborted = true;
      this.owner.connection.destroy(error);
      return;
    }
    this.keepAlive = false;
    this.response.replaceWithError(known?.status ?? 500, known?.code ?? ErrorCode.HANDLER_FAILED);
  }

  /** A request refused before any handler ran. */
  refuse(error: SealError): void {
    this.keepAlive = false;
    this.response.replaceWithError(error.status, error.code);
  }

  // ResponseChannel

  mayKeepAlive(): boolean {
    return this.keepAlive && this.owner.mayKeepAlive(this);
  }

  write(data: string | Uint8Array, encoding?: 'latin1' | 'utf8'): boolean {
    if (this.aborted) return false;
    return this.owner.send(data, encoding);
  }

  writeMessage(head: string, body: string): void {
    if (!this.aborted) this.owner.sendMessage(head, body);
  }

  cork(): void {
    this.owner.cork();
  }

  uncork(): void {
    this.owner.uncork();
  }

  drained(): Promise<void> {
    this.owner.flush();
    const socket = this.owner.channelSocket;
    if (!socket.writableNeedDrain || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  responseEndedWith(keepAlive: boolean): void {
    this.responseEnded = true;
    this.keepAlive &&= keepAlive;
    this.owner.onResponseEnded(this);
  }

  abort(reason: Error): void {
    this.aborted = true;
    this.abortReason = reason;
    this.owner.httpOptions.onError(reason, { client: this.owner.requestContext.client, request: this.request });
    this.owner.connection.destroy(reason);
  }

  // BodySource

  startReading(): void {
    // RFC 9110 §10.1.1: the client waits for 100 before sending the body; send it on first read.
    if (this.head.expectContinue && this.versionMinor === 1 && !this.bodyComplete) this.response.sendContinue();
  }

  resume(): void {
    this.owner.resumeBody();
  }

  abandon(): void {
    this.owner.abandonBody(this);
  }
}

/**
 * An error that carries its own status and code: a SealError, or a FormError (a malformed or
 * oversized form). Anything else a handler throws is answered 500 HANDLER_FAILED.
 */
function knownErrorOf(error: Error): { status: number; code: string } | null {
  return error instanceof SealError || error instanceof FormError ? error : null;
}
