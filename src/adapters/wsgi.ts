/**
 * WSGI-style applications (PEP 3333) on Seal: `app(environ, startResponse)` returns the body as
 * an iterable (or async iterable) of chunks, after calling `startResponse('200 OK', headers)`.
 *
 * As PEP 3333 asks of a server: the status line and headers leave with the first non-empty chunk
 * (so an application may still call `startResponse` again, with an error, until then); a body of
 * one chunk gets an exact Content-Length; the iterable's `close()` is called however iteration
 * ends; an exception before anything was sent is a 500, after it the connection is cut.
 */
import { Buffer } from 'node:buffer';
import type { Handler } from '../http/options.js';
import type { Request as SealRequest } from '../http/request.js';
import type { Response as SealResponse } from '../http/response.js';
import { WsgiInput } from './wsgi-input.js';

export { WsgiInput } from './wsgi-input.js';

export type WsgiChunk = Uint8Array | string;

/** The legacy `write` callable `startResponse` returns: sends a chunk at once. */
export type WsgiWrite = (data: WsgiChunk) => void;

/**
 * `startResponse(status, headers, excInfo?)`: `status` is `'200 OK'`, headers are
 * `[name, value]` pairs. Called again before the body began, it needs `excInfo` (the error being
 * handled) and replaces the status and headers; after the body began, it throws `excInfo`.
 */
export type StartResponse = (status: string, headers: readonly (readonly [string, string])[], excInfo?: unknown) => WsgiWrite;

export type WsgiResult = Iterable<WsgiChunk> | AsyncIterable<WsgiChunk>;

export type WsgiApplication = (environ: WsgiEnviron, startResponse: StartResponse) => WsgiResult | Promise<WsgiResult>;

/** Where `wsgi.errors` writes: `process.stderr` unless given. */
export interface WsgiErrors {
  write(text: string): void;
  writelines(lines: Iterable<string>): void;
  flush(): void;
}

/** The CGI variables and `wsgi.*` keys; every `HTTP_*` field as a string. */
export interface WsgiEnviron {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  CONTENT_TYPE: string;
  CONTENT_LENGTH: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  REMOTE_ADDR: string;
  REMOTE_PORT: string;
  REMOTE_USER?: string;
  AUTH_TYPE?: string;
  'wsgi.version': readonly [1, 0];
  'wsgi.url_scheme': 'http' | 'https';
  'wsgi.input': WsgiInput;
  'wsgi.errors': WsgiErrors;
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  /** Seal's own request, for what CGI variables do not carry. */
  'seal.request': SealRequest;
  [key: `HTTP_${string}`]: string;
}

export interface WsgiOptions {
  /**
   * The mount point: requests whose path is it or under it go to the application, with
   * `SCRIPT_NAME` set to it and `PATH_INFO` to the rest; others get 404. Default '' (the root).
   */
  scriptName?: string;
  /** What `wsgi.errors` writes to; default process.stderr. */
  errors?: { write(text: string): unknown };
}

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) are the server's; PEP 3333 forbids an application to set
 * them, and Seal decides persistence and framing itself.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade']);

/** `200 OK`: three digits, a space, a reason phrase (PEP 3333, "the status argument"). */
const STATUS_LINE = /^([0-9]{3})(?: (.*))?$/s;

/** A Seal handler running `app`. */
export function wsgi(app: WsgiApplication, options: WsgiOptions = {}): Handler {
  const scriptName = mountPoint(options.scriptName ?? '');
  const sink = options.errors ?? process.stderr;
  const errors: WsgiErrors = {
    write: (text) => void sink.write(text),
    writelines: (lines) => {
      for (const line of lines) sink.write(line);
    },
    flush: () => undefined,
  };
  return async (request, response) => {
    const path = request.path;
    if (scriptName !== '' && path !== scriptName && !path.startsWith(scriptName + '/')) {
      response.status = 404;
      response.setHeader('Content-Type', 'text/plain; charset=utf-8');
      response.end('404 Not Found\n');
      return;
    }
    const environ = environOf(request, scriptName, path.slice(scriptName.length), errors);
    const exchange = new WsgiExchange(response, request.signal);
    const result = await app(environ, exchange.startResponse);
    await exchange.send(result);
  };
}

/** `/app/` and `app` both mean `/app`; `/` and '' mean the root. */
function mountPoint(scriptName: string): string {
  let name = scriptName.replace(/\/+$/, '');
  if (name !== '' && !name.startsWith('/')) name = '/' + name;
  return name;
}

/** The environ of PEP 3333 for one request. */
export function environOf(request: SealRequest, scriptName: string, pathInfo: string, errors: WsgiErrors): WsgiEnviron {
  const https = request.tls !== null;
  const host = request.headers.get('host');
  const environ: WsgiEnviron = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: pathInfo,
    QUERY_STRING: request.rawQuery,
    CONTENT_TYPE: request.headers.get('content-type') ?? '',
    CONTENT_LENGTH: request.headers.get('content-length') ?? '',
    SERVER_NAME: host === undefined ? request.server.address : hostName(host),
    SERVER_PORT: String(request.server.port),
    SERVER_PROTOCOL: `HTTP/${request.version}`,
    REMOTE_ADDR: request.client.address,
    REMOTE_PORT: String(request.client.port),
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': https ? 'https' : 'http',
    'wsgi.input': new WsgiInput(request.body),
    'wsgi.errors': errors,
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'seal.request': request,
  };
  const user = basicUser(request.headers.get('authorization'));
  if (user !== undefined) {
    environ.REMOTE_USER = user;
    environ.AUTH_TYPE = 'Basic';
  }
  addHttpVariables(environ, request);
  return environ;
}

/** `example.com:8000` → `example.com`; `[::1]:8000` → `[::1]`. */
function hostName(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
}

/**
 * Every field but Content-Type and Content-Length (CONTENT_TYPE, CONTENT_LENGTH) as
 * `HTTP_NAME` (upper case, `-` → `_`), repeated fields joined with "," (as CGI servers do;
 * Cookie with "; ", RFC 9113 §8.2.3). A name holding `_` is dropped, as gunicorn and nginx do:
 * `X_Forwarded_For` would otherwise pass for `X-Forwarded-For`.
 */
function addHttpVariables(environ: WsgiEnviron, request: SealRequest): void {
  const fields = request.headers;
  for (let i = 0; i < fields.length; i++) {
    const name = fields.name(i);
    if (name.includes('_')) continue;
    const upper = name.toUpperCase();
    if (upper === 'CONTENT-TYPE' || upper === 'CONTENT-LENGTH') continue;
    const key: `HTTP_${string}` = `HTTP_${upper.replaceAll('-', '_')}`;
    const value = fields.value(i);
    const before = environ[key];
    environ[key] = before === undefined ? value : before + (upper === 'COOKIE' ? '; ' : ',') + value;
  }
}

/**
 * The user name of `Authorization: Basic base64(user:password)` (RFC 7617), read as UTF-8 (or
 * Latin-1, when it is not); undefined when absent or not well-formed.
 */
export function basicUser(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(authorization);
  if (match === null || match[1]!.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(match[1]!, 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = bytes.toString('latin1');
  }
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : text.slice(0, colon);
}

/** One response: what `startResponse` set, and the body written as the iterable gives it. */
class WsgiExchange {
  private readonly response: SealResponse;
  /** Aborted when the client went away: iteration stops there. */
  private readonly signal: AbortSignal;
  private status: string | undefined;
  private headers: readonly (readonly [string, string])[] = [];
  /** The first non-empty chunk, held back: if it is the only one, it is sent with Content-Length. */
  private held: WsgiChunk | undefined;
  private headSent = false;

  constructor(response: SealResponse, signal: AbortSignal) {
    this.response = response;
    this.signal = signal;
  }

  readonly startResponse: StartResponse = (status, headers, excInfo) => {
    if (this.status !== undefined && (excInfo === undefined || excInfo === null)) {
      throw new Error('startResponse was called a second time without excInfo');
    }
    if (this.headSent) throw errorOf(excInfo);
    if (typeof status !== 'string' || !STATUS_LINE.test(status)) throw new TypeError(`startResponse: the status must be like '200 OK', got ${JSON.stringify(status)}`);
    if (!Array.isArray(headers)) throw new TypeError('startResponse: the headers must be a list of [name, value] pairs');
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new TypeError('startResponse: every header must be a [name, value] pair of strings');
      }
      if (HOP_BY_HOP.has(pair[0].toLowerCase())) throw new TypeError(`startResponse: the hop-by-hop header ${pair[0]} is the server's to send`);
    }
    this.status = status;
    this.headers = headers;
    return this.write;
  };

  /** The legacy write callable: the held chunk and this one leave now. */
  private readonly write: WsgiWrite = (data) => {
    if (this.status === undefined) throw new Error('write() before startResponse()');
    if (!isChunk(data)) throw new TypeError('write() takes a Uint8Array or a string');
    this.flushHeld();
    if (chunkLength(data) > 0) this.sendChunk(data);
  };

  /**
   * Iterates the body, writing as the socket drains; stops when the client has gone away (an
   * endless body must not spin on a closed socket); closes the iterable however it ends.
   */
  async send(result: WsgiResult): Promise<void> {
    try {
      if (isAsyncIterable(result)) {
        for await (const chunk of result) if (!(await this.take(chunk))) return;
      } else if (isIterable(result)) {
        for (const chunk of result) if (!(await this.take(chunk))) return;
      } else throw new TypeError('the WSGI application must return an iterable of chunks');
    } finally {
      const close = (result as { close?: unknown }).close;
      if (typeof close === 'function') await (close as () => unknown).call(result);
    }
    if (this.status === undefined) throw new Error('the WSGI application returned without calling startResponse()');
    const response = this.response;
    if (!this.headSent) {
      this.applyHead();
      // A body in one piece: Seal writes it with its exact Content-Length.
      const held = this.held;
      this.held = undefined;
      response.end(held);
      return;
    }
    this.flushHeld();
    response.end();
  }

  /** Sends (or holds) one chunk; false when the client has gone away. */
  private async take(chunk: unknown): Promise<boolean> {
    if (!isChunk(chunk)) throw new TypeError('the WSGI application yielded something that is not a Uint8Array or a string');
    if (chunkLength(chunk) === 0) return true;
    if (this.status === undefined) throw new Error('the WSGI application yielded a body before calling startResponse()');
    if (!this.headSent && this.held === undefined) {
      this.held = chunk;
      return true;
    }
    this.flushHeld();
    if (!this.sendChunk(chunk)) await this.response.drained();
    return !this.signal.aborted;
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.sendChunk(held);
  }

  private sendChunk(chunk: WsgiChunk): boolean {
    if (!this.headSent) this.applyHead();
    return this.response.write(chunk);
  }

  private applyHead(): void {
    const match = STATUS_LINE.exec(this.status!)!;
    const response = this.response;
    response.status = Number(match[1]);
    if (match[2] !== undefined && match[2] !== '') response.reason = match[2];
    for (const [name, value] of this.headers) response.appendHeader(name, value);
    this.headSent = true;
  }
}

function isChunk(value: unknown): value is WsgiChunk {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function chunkLength(chunk: WsgiChunk): number {
  return typeof chunk === 'string' ? chunk.length : chunk.byteLength;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** An object that iterates (a string is not taken: iterating it would send it a character at a time). */
function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** The error `excInfo` names: an Error, or the value of a `[type, value, traceback]` triple. */
function errorOf(excInfo: unknown): unknown {
  if (Array.isArray(excInfo) && excInfo.length === 3) return excInfo[1];
  return excInfo;
}
