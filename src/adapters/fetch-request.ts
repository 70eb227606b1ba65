/**
 * The WHATWG `Request` a fetch-style application receives, built only as far as it asks.
 *
 * `new Request(url, init)` costs microseconds (a URL parse, a Headers list, a ReadableStream),
 * more than the rest of a hello-world exchange. So the application gets a `FetchRequest`: an
 * object whose prototype chain ends in `Request.prototype` (so `instanceof Request` holds), whose
 * `method` and `url` are plain strings, whose `headers` is a real `Headers` made on first use, and
 * whose body is read straight from Seal's `request.body` — or, once `body` is asked for, through
 * a ReadableStream fed from it on demand. Every attribute answers what `new Request(url, { method,
 * headers, body, duplex: 'half' })` would.
 */
import { Readable } from 'node:stream';
import type { Request as SealRequest } from '../http/request.js';
import { PlatformRequest, PlatformResponse, bodyUnusable, spentStream } from './platform.js';
import { requestBodyStream } from './streams.js';

type RequestInput = ConstructorParameters<typeof Request>[0];

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();

/**
 * The request's fields as a `Headers`: every field line appended in order (so repeated fields are
 * joined with ", " and Set-Cookie lines stay apart, as `Headers` does), except that repeated
 * Cookie fields are joined with "; " (RFC 9113 §8.2.3), the one separator a cookie parser reads.
 */
export function headersOf(request: SealRequest): Headers {
  const headers = new Headers();
  const fields = request.headers;
  let cookie: string | undefined;
  for (let i = 0; i < fields.length; i++) {
    const name = fields.name(i);
    if (name.length === 6 && name.toLowerCase() === 'cookie') {
      cookie = cookie === undefined ? fields.value(i) : cookie + '; ' + fields.value(i);
      continue;
    }
    headers.append(name, fields.value(i));
  }
  if (cookie !== undefined) headers.append('cookie', cookie);
  return headers;
}

/**
 * The platform's Request, with one change: a `FetchRequest` given as input is first turned into a
 * real Request. Installed as `globalThis.Request` by `installFetchGlobals()`, so that
 * `new Request(c.req.raw, init)` keeps working; `instanceof` accepts every platform Request.
 */
export class FetchRequestConstructor extends PlatformRequest {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === FetchRequestConstructor) return value instanceof PlatformRequest;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  constructor(input: RequestInput, init?: RequestInit) {
    super(FetchRequest.unwrap(input, init), init);
  }
}
Object.defineProperty(FetchRequestConstructor, 'name', { value: 'Request' });

export class FetchRequest {
  readonly #seal: SealRequest;
  readonly #url: string;
  readonly #method: string;
  readonly #hasBody: boolean;
  #headers: Headers | undefined;
  /** The body as a stream, once someone asked for `body` (or cloned the request). */
  #stream: ReadableStream<Uint8Array> | undefined;
  /** The body was read whole, without a stream. */
  #consumed = false;
  /** A clone's signal follows the original's (Fetch §5.4, clone). */
  #signal: AbortSignal | undefined;
  #platform: Request | undefined;

  constructor(seal: SealRequest, url: string, method: string) {
    this.#seal = seal;
    this.#url = url;
    this.#method = method;
    // A GET or HEAD Request cannot carry a body (Fetch §5.4); Seal discards one that was sent.
    this.#hasBody = seal.body.declaredLength !== 0 && method !== 'GET' && method !== 'HEAD';
  }

  /**
   * A platform Request for `input` when it is a FetchRequest (without its body when `init` gives
   * one: a used body may then be replaced, Fetch §5.4 step 39); `input` itself otherwise.
   */
  static unwrap(input: RequestInput, init?: RequestInit): RequestInput {
    if (typeof input !== 'object' || !(#seal in input)) return input;
    const request = input as unknown as FetchRequest;
    return init?.body !== undefined && init.body !== null ? request.#platformWithout() : request.toPlatformRequest();
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return (this.#headers ??= headersOf(this.#seal));
  }

  /** Aborted when the client's connection closes before the response has ended. */
  get signal(): AbortSignal {
    return this.#signal ?? this.#seal.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (!this.#hasBody) return null;
    // Once read whole, the body is what a platform body read to its end is.
    this.#stream ??= this.#consumed ? spentStream() : requestBodyStream(this.#seal.body);
    return this.#stream;
  }

  get bodyUsed(): boolean {
    // Node's isDisturbed reads web streams too; its declared type only names Readable.
    return this.#consumed || (this.#stream !== undefined && Readable.isDisturbed(this.#stream as unknown as Readable));
  }

  // What `new Request(url, { method, headers, body, duplex: 'half' })` answers for the rest.
  get cache(): string {
    return 'default';
  }
  get credentials(): string {
    return 'same-origin';
  }
  get destination(): string {
    return '';
  }
  get integrity(): string {
    return '';
  }
  get mode(): string {
    return 'cors';
  }
  get redirect(): string {
    return 'follow';
  }
  get referrer(): string {
    return 'about:client';
  }
  get referrerPolicy(): string {
    return '';
  }
  get keepalive(): boolean {
    return false;
  }
  get isReloadNavigation(): boolean {
    return false;
  }
  get isHistoryNavigation(): boolean {
    return false;
  }
  get duplex(): string {
    return 'half';
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read().then((bytes) => copyOf(bytes).buffer);
  }

  bytes(): Promise<Uint8Array> {
    return this.#read().then(copyOf);
  }

  text(): Promise<string> {
    // UTF-8 decode (Encoding §4.1): a leading BOM is dropped, bad bytes become U+FFFD.
    return this.#read().then((bytes) => utf8.decode(bytes));
  }

  json(): Promise<unknown> {
    return this.text().then((text) => JSON.parse(text) as unknown);
  }

  blob(): Promise<Blob> {
    return this.#read().then((bytes) => this.#asPlatformResponse(bytes).blob());
  }

  formData(): Promise<FormData> {
    return this.#read().then((bytes) => this.#asPlatformResponse(bytes).formData());
  }

  clone(): FetchRequest {
    if (this.bodyUsed || (this.#stream?.locked ?? false)) throw new TypeError('Request.clone: Body has already been consumed.');
    const copy = new FetchRequest(this.#seal, this.#url, this.#method);
    copy.#headers = new Headers(this.headers);
    copy.#signal = AbortSignal.any([this.signal]);
    const body = this.body;
    if (body !== null) {
      const [mine, theirs] = body.tee();
      this.#stream = mine;
      copy.#stream = theirs;
    }
    return copy;
  }

  /** A platform Request with the same URL, method, headers, body and signal (for `new Request(this)`). */
  toPlatformRequest(): Request {
    if (this.#platform !== undefined) return this.#platform;
    if (this.bodyUsed) throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
    const init: RequestInit = { method: this.#method, headers: this.headers, signal: this.signal };
    const body = this.body;
    if (body !== null) {
      init.body = body;
      (init as RequestInit & { duplex: 'half' }).duplex = 'half';
    }
    return (this.#platform = new PlatformRequest(this.#url, init));
  }

  /** A platform Request like this one without its body, for a `new Request(this, { body })`. */
  #platformWithout(): Request {
    return new PlatformRequest(this.#url, { method: this.#method, headers: this.headers, signal: this.signal });
  }

  /**
   * The whole body. Read straight from Seal (no stream) unless a stream was handed out; limited
   * to the server's `maxBodyBytes` (a 413 SealError past it) when read straight.
   */
  #read(): Promise<Uint8Array> {
    if (this.bodyUsed || (this.#stream?.locked ?? false)) return bodyUnusable();
    if (!this.#hasBody) return Promise.resolve(EMPTY);
    const stream = this.#stream;
    if (stream !== undefined) return new PlatformResponse(stream).arrayBuffer().then((bytes) => new Uint8Array(bytes));
    this.#consumed = true;
    return this.#seal.bytes();
  }

  /** Body-reading algorithms that depend on Content-Type are the platform's, on a Response. */
  #asPlatformResponse(bytes: Uint8Array): Response {
    const type = this.headers.get('content-type');
    return new PlatformResponse(bytes, type === null ? undefined : { headers: { 'content-type': type } });
  }
}

/** The bytes in a fresh ArrayBuffer of their own: Seal's may be views of the socket's buffers. */
function copyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

Object.setPrototypeOf(FetchRequest.prototype, FetchRequestConstructor.prototype);
