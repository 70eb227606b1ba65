/**
 * A `Response` that keeps a body given whole (a string or bytes) in hand, so that the adapter can
 * write it with one `end()`, without the ReadableStream every platform Response makes for its
 * body (a dozen microseconds: more than a whole hello-world exchange in Seal).
 *
 * `installFetchGlobals()` makes it `globalThis.Response` (as @hono/node-server does with its own),
 * so that applications and frameworks that say `new Response('Hello')` make one. Whatever they can
 * observe is what the platform's Response gives: the same validation and errors at construction
 * (anything but the simple cases is handed to the platform's constructor at once), the same
 * attributes, and for everything that needs a body stream (`body`, `text()`, `clone()` …) a
 * platform Response made then from the same arguments, to which it delegates from then on.
 * `instanceof Response` holds for platform Responses too.
 */
import { PlatformResponse, bodyUnusable, spentStream } from './platform.js';

type BodyInit = ConstructorParameters<typeof Response>[0];
type HeadersInit = NonNullable<ResponseInit['headers']>;

/** field-name = token (RFC 9110 §5.1), as `Headers` checks it. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What `Headers` refuses in a value (once trimmed), or cannot hold (a ByteString). */
const BAD_VALUE = /[\0\r\n\u0100-\uffff]/;
/** reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (Fetch §6.4, RFC 9112 §4). */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;
/** The type a string body gets when its headers name none (Fetch §5.2, extract a body). */
const TEXT_PLAIN = 'text/plain;charset=UTF-8';
/** The fields of `new Response(string)` and of `new Response(bytes)`: shared, never changed. */
const TEXT_FIELDS: readonly string[] = Object.freeze(['content-type', TEXT_PLAIN]);
const NO_FIELDS: readonly string[] = Object.freeze([]);

/** HTTP whitespace (Fetch §2.2) that `Headers` trims from both ends of a value. */
function trimmed(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  const edge = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  return edge(first) || edge(last) ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '') : value;
}

/**
 * A plain object's fields as [name, value, …], trimmed and checked as `Headers` would; undefined
 * when `Headers` would refuse or rewrite them (an invalid name or value, a name given twice in
 * different cases, a value that is not a string) — the platform then decides.
 */
function plainFields(record: Record<string, unknown>): string[] | undefined {
  const fields: string[] = [];
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (typeof value !== 'string' || !TOKEN.test(name)) return undefined;
    const clean = trimmed(value);
    if (BAD_VALUE.test(clean)) return undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i]!.length === name.length && fields[i]!.toLowerCase() === name.toLowerCase()) return undefined;
    }
    fields.push(name, clean);
  }
  return fields;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A copy of a body given whole, as the platform makes one (later changes to it do not show). */
function bytesOf(body: object): Uint8Array | undefined {
  if (body instanceof Uint8Array) return new Uint8Array(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body) && body.buffer instanceof ArrayBuffer) {
    return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  }
  return undefined;
}

/** What a response holds in hand, for the adapter to write whole. */
export interface BodyInHand {
  status: number;
  statusText: string;
  /** [name, value, …] as the application gave them, when no `Headers` object was made. */
  fields: readonly string[] | undefined;
  headers: Headers | undefined;
  body: string | Uint8Array | null;
}

export class FetchResponse {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === FetchResponse) return value instanceof PlatformResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  #status = 200;
  #statusText = '';
  #source: string | Uint8Array | null = null;
  #fields: readonly string[] | undefined;
  #headers: Headers | undefined;
  /** The platform Response everything is delegated to, once there is one. */
  #platform: Response | undefined;
  /** The adapter sent the body in hand: for the application the body has now been read. */
  #sent = false;
  #spent: ReadableStream<Uint8Array> | undefined;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    let source: string | Uint8Array | null;
    if (body === undefined || body === null) source = null;
    else if (typeof body === 'string') source = body;
    else {
      const bytes = typeof body === 'object' ? bytesOf(body) : undefined;
      if (bytes === undefined) {
        // A stream, Blob, FormData, URLSearchParams …: the platform's own business.
        this.#platform = new PlatformResponse(body, init);
        return;
      }
      source = bytes;
    }
    if (init === undefined || init === null) {
      this.#source = source;
      this.#fields = typeof source === 'string' ? TEXT_FIELDS : NO_FIELDS;
      return;
    }
    if (typeof init !== 'object') {
      this.#platform = new PlatformResponse(body, init);
      return;
    }
    // Each member read once, in the order WebIDL reads a dictionary's members.
    const { headers, status, statusText } = init;
    if (!this.#accept(source, headers, status, statusText)) {
      this.#platform = new PlatformResponse(source, { headers, status, statusText });
    }
  }

  /** Takes the simple cases; false for anything the platform must judge (and maybe refuse). */
  #accept(source: string | Uint8Array | null, headers: HeadersInit | undefined, status: number | undefined, statusText: string | undefined): boolean {
    if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599)) return false;
    if (statusText !== undefined && (typeof statusText !== 'string' || !REASON.test(statusText))) return false;
    // A null-body status with a body is a TypeError (Fetch §6.4).
    const code = status ?? 200;
    if (source !== null && (code === 204 || code === 205 || code === 304)) return false;
    let fields: string[] | undefined;
    let copy: Headers | undefined;
    if (headers === undefined) fields = [];
    else if (headers instanceof Headers) copy = new Headers(headers);
    else if (typeof headers === 'object' && headers !== null && isPlainObject(headers)) {
      fields = plainFields(headers);
      if (fields === undefined) return false;
    } else return false;
    this.#status = code;
    this.#statusText = statusText ?? '';
    this.#source = source;
    if (typeof source === 'string') {
      if (copy !== undefined) {
        if (!copy.has('content-type')) copy.append('content-type', TEXT_PLAIN);
      } else if (!hasField(fields!, 'content-type')) fields!.push('content-type', TEXT_PLAIN);
    }
    this.#fields = fields;
    this.#headers = copy;
    return true;
  }

  /**
   * The body and head in hand when nothing forced a platform Response into being; else undefined.
   * The caller sends it: from then on the body counts as read (`bodyUsed`), as it would be once a
   * server had read a platform Response's body stream.
   */
  static inHand(value: object): BodyInHand | undefined {
    if (!(#platform in value)) return undefined;
    const response = value as FetchResponse;
    if (response.#platform !== undefined || response.#sent) return undefined;
    response.#sent = response.#source !== null;
    return {
      status: response.#status,
      statusText: response.#statusText,
      fields: response.#fields,
      headers: response.#headers,
      body: response.#source,
    };
  }

  get status(): number {
    return this.#platform === undefined ? this.#status : this.#platform.status;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get statusText(): string {
    return this.#platform === undefined ? this.#statusText : this.#platform.statusText;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      if (this.#platform !== undefined) return this.#platform.headers;
      const headers = new Headers();
      const fields = this.#fields!;
      for (let i = 0; i < fields.length; i += 2) headers.append(fields[i]!, fields[i + 1]!);
      this.#headers = headers;
      this.#fields = undefined;
    }
    return this.#headers;
  }

  get type(): string {
    return this.#platform === undefined ? 'default' : this.#platform.type;
  }

  get url(): string {
    return this.#platform === undefined ? '' : this.#platform.url;
  }

  get redirected(): boolean {
    return this.#platform === undefined ? false : this.#platform.redirected;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#sent) return (this.#spent ??= spentStream());
    if (this.#platform === undefined && this.#source === null) return null;
    return this.#delegate().body;
  }

  get bodyUsed(): boolean {
    if (this.#sent) return true;
    return this.#platform === undefined ? false : this.#platform.bodyUsed;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#sent ? bodyUnusable() : this.#delegate().arrayBuffer();
  }

  bytes(): Promise<Uint8Array> {
    return this.arrayBuffer().then((bytes) => new Uint8Array(bytes));
  }

  text(): Promise<string> {
    return this.#sent ? bodyUnusable() : this.#delegate().text();
  }

  json(): Promise<unknown> {
    return this.#sent ? bodyUnusable() : (this.#delegate().json() as Promise<unknown>);
  }

  blob(): Promise<Blob> {
    return this.#sent ? bodyUnusable() : this.#delegate().blob();
  }

  formData(): Promise<FormData> {
    return this.#sent ? bodyUnusable() : this.#delegate().formData();
  }

  clone(): Response {
    if (this.#sent) throw new TypeError('Response.clone: Body has already been consumed.');
    return this.#delegate().clone();
  }

  /**
   * The platform Response, made now if there is none yet (from the same status, status text,
   * headers and body), with its header list brought in line with `this.headers`, which the
   * application may have changed after asking for it.
   */
  #delegate(): Response {
    if (this.#platform === undefined) {
      this.#platform = new PlatformResponse(this.#source, { status: this.#status, statusText: this.#statusText, headers: this.headers });
      this.#source = null;
      return this.#platform;
    }
    const mine = this.#headers;
    const theirs = this.#platform.headers;
    if (mine !== undefined && mine !== theirs) {
      for (const name of Array.from(theirs.keys())) theirs.delete(name);
      for (const [name, value] of mine) if (name !== 'set-cookie') theirs.append(name, value);
      for (const cookie of mine.getSetCookie()) theirs.append('set-cookie', cookie);
    }
    return this.#platform;
  }
}

function hasField(fields: readonly string[], lower: string): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length === lower.length && name.toLowerCase() === lower) return true;
  }
  return false;
}

Object.setPrototypeOf(FetchResponse, PlatformResponse);
Object.setPrototypeOf(FetchResponse.prototype, PlatformResponse.prototype);
Object.defineProperty(FetchResponse, 'name', { value: 'Response' });
