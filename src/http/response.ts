/**
 * The response writer: a status line, validated header fields, and a body framed by
 * Content-Length when its length is known before the first byte leaves, chunked otherwise
 * (close-delimited for HTTP/1.0 clients, which cannot read chunked). Header names and values are
 * checked against the same byte tables the parser uses, so a CR, LF or NUL can never split a
 * response.
 */
import { Buffer } from 'node:buffer';
import { FIELD_VALUE, TOKEN } from './chars.js';
import { httpDate } from './date.js';
import { ErrorCode, SealError } from './errors.js';
import { reasonPhrase, statusHasBody } from './status.js';

/** What a response needs from the connection it is written to. */
export interface ResponseChannel {
  /** The request was HEAD: send the header fields a GET would get, and no content. */
  readonly headRequest: boolean;
  /** The request's minor version: 1.0 clients get no chunked coding. */
  readonly versionMinor: number;
  /** Whether the request and the server allow the connection to persist after this response. */
  mayKeepAlive(): boolean;
  /** Queues bytes on the socket; false when above its high-water mark. */
  write(data: string | Uint8Array, encoding?: 'latin1' | 'utf8'): boolean;
  /** A whole response at once, an ASCII head and a UTF-8 body: they leave together. */
  writeMessage(head: string, body: string): void;
  cork(): void;
  uncork(): void;
  /** Resolves when the socket can take more, or is gone. */
  drained(): Promise<void>;
  /** The response is complete. `keepAlive` false: close the connection once it is flushed. */
  responseEndedWith(keepAlive: boolean): void;
  /** The response cannot be completed (its framing is broken): destroy the connection. */
  abort(reason: Error): void;
}

export type HeaderValue = string | number | readonly string[];

const enum Framing {
  Unknown,
  Length,
  Chunked,
  UntilClose,
  None,
}

export class Response {
  /** The status code; may be changed until the header is sent. */
  status = 200;
  /** The reason phrase; the standard one for `status` when not set. */
  reason: string | undefined = undefined;
  private readonly channel: ResponseChannel;
  /** Flat [name, value, name, value, ...], validated, in the order set. */
  private fields: string[] = [];
  private asciiOnly = true;
  private sent = false;
  private ended = false;
  private framing = Framing.Unknown;
  private declaredLength = -1;
  private bytesSent = 0;
  private keepAlive = true;

  constructor(channel: ResponseChannel) {
    this.channel = channel;
  }

  /** True once the status line and header fields have been handed to the socket. */
  get headersSent(): boolean {
    return this.sent;
  }

  /** True once `end()` has been called. */
  get finished(): boolean {
    return this.ended;
  }

  /** Replaces every field named `name` (any case) with the given value(s). */
  setHeader(name: string, value: HeaderValue): this {
    this.assertHeaderOpen();
    // All or nothing: the values are checked before the old ones go, so a refused value (which a
    // handler may catch) leaves the fields as they were, not half-replaced.
    // With no fields yet there is nothing to replace but a Content-Length, kept apart (addField).
    const replacing = this.fields.length > 0 || this.declaredLength >= 0;
    if (typeof value === 'string') {
      // One string, the usual case: checked and added without a list made around it.
      this.checkFieldValue(this.checkFieldName(name), value);
      if (replacing) this.removeHeader(name);
      this.addField(name, value);
      return this;
    }
    const values = this.checkField(name, value);
    if (replacing) this.removeHeader(name);
    for (const v of values) this.addField(name, v);
    return this;
  }

  /** Adds a field line (or one per value of an array), keeping the ones already set. */
  appendHeader(name: string, value: HeaderValue): this {
    this.assertHeaderOpen();
    // Every value is checked before the first is added: all or nothing, as in setHeader.
    for (const v of this.checkField(name, value)) this.addField(name, v);
    return this;
  }

  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    // Content-Length is kept apart from the fields (the framing code writes it), but it was set.
    if (lower === 'content-length') return this.declaredLength >= 0 ? String(this.declaredLength) : undefined;
    for (let i = 0; i < this.fields.length; i += 2) {
      if (this.fields[i]!.toLowerCase() === lower) return this.fields[i + 1];
    }
    return undefined;
  }

  hasHeader(name: string): boolean {
    return this.getHeader(name) !== undefined;
  }

  removeHeader(name: string): this {
    this.assertHeaderOpen();
    const lower = name.toLowerCase();
    // Content-Length lives in `declaredLength`, not in the fields: forget it there, or a removed
    // Content-Length would still frame (and be checked against) the body.
    if (lower === 'content-length') this.declaredLength = -1;
    for (let i = this.fields.length - 2; i >= 0; i -= 2) {
      if (this.fields[i]!.toLowerCase() === lower) this.fields.splice(i, 2);
    }
    return this;
  }

  /** Every field as [name, value] pairs, in order. */
  headerPairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.fields.length; i += 2) out.push([this.fields[i]!, this.fields[i + 1]!]);
    return out;
  }

  /** Sets the status (and optionally fields) in one call; the header leaves with the first body byte. */
  writeHead(status: number, headers?: Record<string, HeaderValue> | readonly (readonly [string, string])[]): this {
    this.assertHeaderOpen();
    this.status = status;
    if (headers !== undefined) {
      const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
      for (const [name, value] of pairs as Iterable<[string, HeaderValue]>) this.appendHeader(name, value);
    }
    return this;
  }

  /**
   * Sends body bytes. The header leaves first if it has not yet, framed as chunked (or
   * close-delimited for HTTP/1.0) unless Content-Length was set. Returns false when the socket is
   * above its high-water mark: await `drained()` before writing more.
   */
  write(chunk: string | Uint8Array): boolean {
    if (this.ended) throw new SealError(ErrorCode.HANDLER_FAILED, 'write after end');
    if (!this.sent) {
      this.chooseFraming(-1);
      this.writeHeadBytes();
    }
    return this.sendBody(chunk);
  }

  /** Resolves when the connection can take more body bytes. */
  drained(): Promise<void> {
    return this.channel.drained();
  }

  /** Finishes the response, with an optional last piece of body. Calling it twice does nothing. */
  end(chunk?: string | Uint8Array): void {
    if (this.ended) return;
    const channel = this.channel;
    if (!this.sent) {
      // A whole body in hand gets Content-Length computed for it.
      const length = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      this.chooseFraming(length);
      this.ended = true;
      if (typeof chunk === 'string' && this.asciiOnly && this.framing === Framing.Length && !channel.headRequest) {
        // The common case: head and body handed over together, in one call.
        this.bytesSent = length;
        channel.writeMessage(this.headText(), chunk);
        return this.complete();
      }
      channel.cork();
      this.writeHeadBytes();
    } else {
      this.ended = true;
      channel.cork();
    }
    if (chunk !== undefined) this.sendBody(chunk);
    if (this.framing === Framing.Chunked && !channel.headRequest) channel.write('0\r\n\r\n', 'latin1');
    channel.uncork();
    this.complete();
  }

  /**
   * Discards whatever the handler set and answers `status` with a short plain-text body naming
   * the error code, closing the connection afterwards. Only before the header has left.
   */
  replaceWithError(status: number, code: string): void {
    if (this.sent) return;
    this.fields.length = 0;
    this.asciiOnly = true;
    this.declaredLength = -1;
    this.ended = false;
    this.status = status;
    this.reason = undefined;
    this.keepAlive = false;
    this.fields.push('Content-Type', 'text/plain; charset=utf-8');
    this.end(errorBody(status, code));
  }

  /** Sends `100 Continue` (RFC 9110 §15.2.1) unless a final status has already left. */
  sendContinue(): void {
    if (!this.sent) this.channel.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  // --- internals ----------------------------------------------------------------------------------

  private assertHeaderOpen(): void {
    if (this.sent) throw new SealError(ErrorCode.HANDLER_FAILED, 'the header has already been sent');
  }

  /**
   * Checks a field a handler sets, every value of it, and returns the values as strings. Throws
   * before any field is changed. (A non-ASCII value only switches the head to a latin1 encoding,
   * which writes ASCII the same, so noting it before a later value is refused is harmless.)
   */
  private checkField(name: string, value: HeaderValue): readonly string[] {
    const values = typeof value === 'object' ? value : [String(value)];
    const lower = this.checkFieldName(name);
    for (const v of values) this.checkFieldValue(lower, v);
    return values;
  }

  /** Checks a name; returns it in lower case when it is one Seal treats apart, else ''. */
  private checkFieldName(name: string): string {
    checkName(name);
    const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
    if (lower === 'transfer-encoding') {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'Transfer-Encoding is set by Seal, not by the handler');
    }
    return lower;
  }

  private checkFieldValue(lowerName: string, value: string): void {
    if (!checkValue(value)) this.asciiOnly = false;
    if (lowerName === 'content-length' && !/^[0-9]{1,15}$/.test(value)) {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'Content-Length must be a decimal number');
    }
  }

  /** Adds one field line, already checked by `checkField`. */
  private addField(name: string, value: string): void {
    const lower = name.length === 14 || name.length === 10 ? name.toLowerCase() : '';
    if (lower === 'content-length') {
      this.declaredLength = Number(value);
      return; // written by the framing code, once
    }
    if (lower === 'connection' && /(^|[\s,])close($|[\s,])/i.test(value)) this.keepAlive = false;
    // The first field makes an array of exactly two: a push onto an empty array would allocate
    // room for seventeen, for responses that mostly set one or two fields.
    if (this.fields.length === 0) this.fields = [name, value];
    else this.fields.push(name, value);
  }

  /** Decides how the body is delimited; `length` is the whole body's size, or -1 when not known yet. */
  private chooseFraming(length: number): void {
    const channel = this.channel;
    this.checkStatusLine();
    if (!statusHasBody(this.status)) this.framing = Framing.None;
    else if (this.declaredLength >= 0) {
      if (length >= 0 && length !== this.declaredLength && !channel.headRequest) {
        throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'Content-Length does not match the body');
      }
      this.framing = Framing.Length;
    } else if (length >= 0) {
      this.framing = Framing.Length;
      this.declaredLength = length;
    } else if (channel.versionMinor >= 1) this.framing = Framing.Chunked;
    else {
      // RFC 9112 §6.3: an HTTP/1.0 client reads a body of unknown length to the close.
      this.framing = Framing.UntilClose;
      this.keepAlive = false;
    }
    this.sent = true;
  }

  /**
   * The status line is built from `status` and `reason`, which a handler sets freely: check them
   * as strictly as field values, or a reason (or a non-number status) holding CR LF could split
   * the response. RFC 9110 §15: a status is a three-digit integer, 100–599, and a final response
   * is not 1xx (interim responses are sent by `sendContinue`). RFC 9112 §4:
   * reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
   */
  private checkStatusLine(): void {
    const status: unknown = this.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the status is not an integer from 200 to 599');
    }
    const reason: unknown = this.reason;
    if (reason === undefined) return;
    if (typeof reason !== 'string') throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the reason phrase is not a string');
    try {
      if (!checkValue(reason)) this.asciiOnly = false;
    } catch {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the reason phrase holds a forbidden character');
    }
  }

  private writeHeadBytes(): void {
    const text = this.headText();
    if (this.asciiOnly) this.channel.write(text, 'latin1');
    else this.channel.write(Buffer.from(text, 'latin1'));
  }

  private headText(): string {
    const channel = this.channel;
    this.keepAlive = this.keepAlive && channel.mayKeepAlive();
    const persistence = !this.keepAlive ? PERSIST_CLOSE : channel.versionMinor === 0 ? PERSIST_KEEP_ALIVE : PERSIST_DEFAULT;
    const date = httpDate();
    const last = lastHead;
    if (
      last.status === this.status && last.reason === this.reason && last.framing === this.framing &&
      last.declaredLength === this.declaredLength && last.persistence === persistence && last.date === date &&
      sameFields(last.fields, this.fields)
    ) {
      return last.text;
    }
    const text = this.buildHeadText(persistence, date);
    lastHead = { status: this.status, reason: this.reason, framing: this.framing, declaredLength: this.declaredLength, persistence, date, fields: this.fields.slice(), text };
    return text;
  }

  private buildHeadText(persistence: number, date: string): string {
    let head = 'HTTP/1.1 ' + this.status + ' ' + (this.reason ?? reasonPhrase(this.status)) + '\r\n';
    const fields = this.fields;
    let hasDate = false;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true;
      // Persistence is decided below, once: a handler's "close" or "keep-alive" would only
      // repeat that line, or contradict it (keep-alive on a connection the server closes).
      if (name.length === 10 && PERSISTENCE_ONLY.test(fields[i + 1]!) && name.toLowerCase() === 'connection') continue;
      head += name + ': ' + fields[i + 1] + '\r\n';
    }
    if (!hasDate) head += 'Date: ' + date + '\r\n';
    if (this.framing === Framing.Length) head += 'Content-Length: ' + this.declaredLength + '\r\n';
    else if (this.framing === Framing.Chunked) head += 'Transfer-Encoding: chunked\r\n';
    else if (this.framing === Framing.None && this.status === 304 && this.declaredLength >= 0) {
      head += 'Content-Length: ' + this.declaredLength + '\r\n';
    }
    // RFC 9110 §15.3.6: a 205 has no content, and framing must say so (RFC 9112 §6.3 does not).
    else if (this.status === 205) head += 'Content-Length: 0\r\n';
    if (persistence === PERSIST_CLOSE) head += 'Connection: close\r\n';
    else if (persistence === PERSIST_KEEP_ALIVE) head += 'Connection: keep-alive\r\n';
    // One flat string: it is written once per response, and maybe many times from the cache.
    return flatten(head + '\r\n');
  }

  private sendBody(chunk: string | Uint8Array): boolean {
    const channel = this.channel;
    const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (length === 0 || this.framing === Framing.None || channel.headRequest) return true;
    this.bytesSent += length;
    switch (this.framing) {
      case Framing.Length:
        if (this.bytesSent > this.declaredLength) {
          const error = new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'more body than Content-Length declared');
          channel.abort(error);
          throw error;
        }
        return channel.write(chunk, 'utf8');
      case Framing.Chunked: {
        channel.cork();
        channel.write(length.toString(16) + '\r\n', 'latin1');
        channel.write(chunk, 'utf8');
        const more = channel.write('\r\n', 'latin1');
        channel.uncork();
        return more;
      }
      default:
        return channel.write(chunk, 'utf8');
    }
  }

  private complete(): void {
    if (this.framing === Framing.Length && this.bytesSent < this.declaredLength && !this.channel.headRequest) {
      // The client was promised more bytes than exist; the only honest end is to close.
      this.channel.abort(new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'less body than Content-Length declared'));
      return;
    }
    this.channel.responseEndedWith(this.keepAlive);
  }
}

/** What the head says about persistence: nothing (HTTP/1.1 default), `close`, or `keep-alive` (for 1.0). */
const PERSIST_DEFAULT = 0;
const PERSIST_CLOSE = 1;
const PERSIST_KEEP_ALIVE = 2;

/**
 * The last head built, with everything it was built from. Handlers answer request after request
 * with the same status and fields, and the Date changes once a second: most heads are the one
 * before, found by a few identity comparisons instead of a dozen concatenations and a flatten.
 */
interface BuiltHead {
  readonly status: number;
  readonly reason: string | undefined;
  readonly framing: Framing;
  readonly declaredLength: number;
  readonly persistence: number;
  readonly date: string;
  readonly fields: readonly string[];
  readonly text: string;
}

let lastHead: BuiltHead = { status: 0, reason: undefined, framing: Framing.Unknown, declaredLength: -1, persistence: -1, date: '', fields: [], text: '' };

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A string built by `+` is a rope; reading it once (here, a char code) makes V8 flatten it in
 * place, so the writes and joins that follow copy one piece instead of walking dozens.
 */
function flatten(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** A Connection value naming only close and keep-alive (RFC 9112 §9.3), which the writer decides. */
const PERSISTENCE_ONLY = /^[\t ]*(?:close|keep-alive)[\t ]*(?:,[\t ]*(?:close|keep-alive)[\t ]*)*$/i;

/**
 * Names and values already checked: handlers set the same few constant strings on every response,
 * and a Set lookup (the string's hash is cached) is cheaper than a scan. Bounded: cleared when full.
 */
const KNOWN_GOOD_LIMIT = 512;
const goodNames = new Set<string>();
const goodAsciiValues = new Set<string>();

function remember(set: Set<string>, text: string): void {
  if (set.size >= KNOWN_GOOD_LIMIT) set.clear();
  set.add(text);
}

/** field-name = token (RFC 9110 §5.1). */
function checkName(name: string): void {
  // The same name as last time (usually the very same string) costs one comparison.
  if (name === lastGoodName) return;
  if (!goodNames.has(name)) {
    checkNameBytes(name);
    remember(goodNames, name);
  }
  lastGoodName = name;
}
/** The last name and ASCII value found good (the start values are good ones: "" is no name). */
let lastGoodName = 'Content-Type';
let lastGoodAsciiValue = '';

function checkNameBytes(name: string): void {
  if (name.length === 0) throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'empty field name');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || !TOKEN[c]) throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'a field name is not a token');
  }
}

/**
 * field-value bytes only (RFC 9110 §5.5): no CR, LF, NUL or other CTL — so no response splitting.
 * Returns whether the value is pure ASCII.
 */
function checkValue(value: string): boolean {
  if (value === lastGoodAsciiValue) return true;
  if (!goodAsciiValues.has(value)) {
    if (!checkValueBytes(value)) return false;
    remember(goodAsciiValues, value);
  }
  lastGoodAsciiValue = value;
  return true;
}

function checkValueBytes(value: string): boolean {
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || !FIELD_VALUE[c]) throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'a field value holds a forbidden character');
    if (c > 0x7f) ascii = false;
  }
  return ascii;
}

function errorBody(status: number, code: string): string {
  return `${status} ${reasonPhrase(status)}: ${code}\n`;
}

/**
 * A whole error response with `Connection: close`, for errors found before any response object
 * exists (a malformed head, a timeout). The body names the error code, never the client's bytes.
 */
export function errorResponseText(status: number, code: string): string {
  const body = errorBody(status, code);
  return (
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${httpDate()}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
  );
}
