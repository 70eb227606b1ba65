/**
 * Fetch-style applications on Seal: `{ fetch(request) → Response }` as Bun, Deno, Cloudflare
 * Workers and Hono write them, turned into a Seal handler.
 *
 *   request:  Seal's Request ─▶ FetchRequest (lazy WHATWG Request; body pulled on demand)
 *   response: Response ─▶ body in hand (string/bytes)? one end() : stream, chunk by chunk, drained
 */
import { HttpServer, type ServerOptions } from '../http/server.js';
import type { Handler } from '../http/options.js';
import type { Address, Request as SealRequest, TlsInfo } from '../http/request.js';
import type { Response as SealResponse } from '../http/response.js';
import { FetchRequest, FetchRequestConstructor } from './fetch-request.js';
import { FetchResponse } from './fetch-response.js';
import { fetchMethod, requestUrl } from './fetch-url.js';
import { PlatformRequest, PlatformResponse } from './platform.js';
import { writeBodyStream } from './streams.js';

/**
 * The second argument a fetch application receives (Hono calls it `c.env`): who is talking to
 * whom, and over what.
 */
export interface FetchEnv {
  /** The client's address and port. */
  client: Address;
  /** The server's address and port this request came in on. */
  server: Address;
  /** What TLS negotiated; null over plain TCP. */
  tls: TlsInfo | null;
}

/** The third argument, as Cloudflare Workers (and Hono's `c.executionCtx`) have it. */
export interface FetchExecutionContext {
  /** Lets work finish after the response; a rejection is logged to stderr. */
  waitUntil(promise: Promise<unknown>): void;
  /** Nothing to pass through to on Seal: does nothing. */
  passThroughOnException(): void;
  props: Record<string, unknown>;
}

export type FetchFunction = (request: Request, env: FetchEnv, context: FetchExecutionContext) => Response | Promise<Response>;

export interface FetchApplication {
  fetch(request: Request, env: FetchEnv, context: FetchExecutionContext): Response | Promise<Response>;
}

export interface FetchHandlerOptions {
  /**
   * Make `globalThis.Response` a Response that keeps a string or byte body in hand (and
   * `globalThis.Request` one that accepts Seal's lazy requests), as @hono/node-server does.
   * Default true. With false, responses work the same, only slower (every body goes through a
   * stream), and `new Request(request)` of a request the application was given fails.
   */
  globals?: boolean;
}

/** A response body known to be at most this long is read whole and written with one end(). */
export const WHOLE_BODY_BYTES = 64 * 1024;

const EXECUTION_CONTEXT: FetchExecutionContext = Object.freeze({
  waitUntil(promise: Promise<unknown>): void {
    promise.then(undefined, (error: unknown) => {
      process.stderr.write(`seal: waitUntil: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    });
  },
  passThroughOnException(): void {},
  props: Object.freeze({}),
});

let installed = false;

/**
 * Makes `Response` and `Request` the adapter's (see FetchResponse and FetchRequestConstructor).
 * Idempotent; does nothing if someone else has replaced the platform's classes already.
 */
export function installFetchGlobals(): void {
  if (installed || globalThis.Response !== PlatformResponse || globalThis.Request !== PlatformRequest) return;
  Object.defineProperty(globalThis, 'Response', { value: FetchResponse, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(globalThis, 'Request', { value: FetchRequestConstructor, writable: true, configurable: true, enumerable: false });
  installed = true;
}

/** Puts the platform's `Response` and `Request` back. */
export function uninstallFetchGlobals(): void {
  if (!installed) return;
  Object.defineProperty(globalThis, 'Response', { value: PlatformResponse, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(globalThis, 'Request', { value: PlatformRequest, writable: true, configurable: true, enumerable: false });
  installed = false;
}

/**
 * A Seal handler running a fetch-style application: `app` is `{ fetch }` (called as a method) or
 * the fetch function itself. The application gets a WHATWG Request (see FetchRequest), a
 * `FetchEnv` and a `FetchExecutionContext`, and answers with a Response (or a promise of one).
 * If it throws, rejects, or answers with something that is not a Response, Seal answers 500
 * (or closes the connection, if the response had begun).
 */
export function toHandler(app: FetchApplication | FetchFunction, options: FetchHandlerOptions = {}): Handler {
  if (typeof app !== 'function' && (typeof app !== 'object' || app === null || typeof app.fetch !== 'function')) {
    throw new TypeError('toHandler needs a fetch function or an object with a fetch method');
  }
  if (options.globals ?? true) installFetchGlobals();
  const call: FetchFunction = typeof app === 'function' ? app : (request, env, context) => app.fetch(request, env, context);
  return (request, response) => {
    const fetchRequest = new FetchRequest(request, requestUrl(request), fetchMethod(request.method));
    const env: FetchEnv = { client: request.client, server: request.server, tls: request.tls };
    const result: unknown = call(fetchRequest as unknown as Request, env, EXECUTION_CONTEXT);
    // A Response answered at once is written at once; anything else is awaited, then checked.
    if (result instanceof PlatformResponse) return write(result, request, response);
    return Promise.resolve(result).then((answer) => send(answer, request, response));
  };
}

/** Writes a Response to Seal's response; returns a promise only when it must wait. */
export function send(answer: unknown, request: SealRequest, out: SealResponse): void | Promise<void> {
  if (!(answer instanceof PlatformResponse)) throw new TypeError('the fetch application did not answer with a Response');
  return write(answer, request, out);
}

function write(answer: Response, request: SealRequest, out: SealResponse): void | Promise<void> {
  const whole = FetchResponse.inHand(answer);
  if (whole !== undefined) {
    out.status = whole.status;
    if (whole.statusText !== '') out.reason = whole.statusText;
    if (whole.fields !== undefined) {
      const fields = whole.fields;
      for (let i = 0; i < fields.length; i += 2) out.appendHeader(fields[i]!, fields[i + 1]!);
    } else if (whole.headers !== undefined) copyHeaders(whole.headers, out);
    if (whole.body === null) endWithoutBody(request, out);
    else out.end(whole.body);
    return;
  }
  return sendPlatform(answer, request, out);
}

/** A Response with a body stream (or one made by the platform): whole when short and sized, else streamed. */
function sendPlatform(answer: Response, request: SealRequest, out: SealResponse): void | Promise<void> {
  // Response.error() (Fetch §6.4): a network error, which a server can only answer with 500.
  if (answer.type === 'error') throw new TypeError('the fetch application answered with Response.error()');
  out.status = answer.status;
  if (answer.statusText !== '') out.reason = answer.statusText;
  const headers = answer.headers;
  copyHeaders(headers, out);
  const body = answer.body;
  if (body === null) return endWithoutBody(request, out);
  if (request.method === 'HEAD') {
    // Seal sends no content for HEAD: do not make the application produce it.
    out.end();
    return void body.cancel().then(undefined, () => undefined);
  }
  const length = headers.get('content-length');
  if (length !== null && /^[0-9]{1,5}$/.test(length) && Number(length) <= WHOLE_BODY_BYTES) {
    return answer.arrayBuffer().then((bytes) => out.end(new Uint8Array(bytes)));
  }
  return writeBodyStream(body, out, request.signal);
}

/**
 * Ends a response that has no body. For HEAD, a response without a body is what frameworks make
 * of the GET response (Hono: `new Response(null, getResponse)`), whose length is not known here:
 * unless the application stated a Content-Length, the header says chunked (length unknown)
 * rather than `Content-Length: 0`, which would misstate the GET's.
 */
function endWithoutBody(request: SealRequest, out: SealResponse): void {
  if (request.method === 'HEAD' && !out.hasHeader('content-length')) out.write(EMPTY);
  out.end();
}

const EMPTY = new Uint8Array(0);

/**
 * A Headers object's fields on Seal's response: each field once with its combined value, except
 * Set-Cookie, one line per cookie (`getSetCookie()`). Transfer-Encoding is Seal's to choose.
 */
function copyHeaders(headers: Headers, out: SealResponse): void {
  let cookies = false;
  for (const [name, value] of headers) {
    if (name === 'set-cookie') cookies = true;
    else if (name !== 'transfer-encoding') out.appendHeader(name, value);
  }
  if (cookies) for (const cookie of headers.getSetCookie()) out.appendHeader('set-cookie', cookie);
}

export interface FetchServerOptions extends Omit<ServerOptions, 'handler'>, FetchHandlerOptions {
  /** The application's fetch function (`app.fetch` for Hono). */
  fetch: FetchFunction;
}

/** Starts a Seal server for a fetch function, as `serve({ fetch: app.fetch, port })` in @hono/node-server. */
export async function serveFetch(options: FetchServerOptions): Promise<HttpServer> {
  const { fetch, globals, ...rest } = options;
  const server = new HttpServer({ ...rest, handler: toHandler(fetch, { globals }) });
  await server.listen();
  return server;
}
