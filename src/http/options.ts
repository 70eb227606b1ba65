/**
 * The HTTP server's options, their defaults (node:http's, where it has one), and their
 * resolution into one frozen object read by every connection.
 */
import { FormError } from '../form/errors.js';
import { AddressMatcher } from '../net/ip.js';
import { SealError } from './errors.js';
import { resolveLimits, type ParserLimits } from './limits.js';
import type { Address, Request } from './request.js';
import type { Response } from './response.js';

export type Handler = (request: Request, response: Response) => void | Promise<void>;

/** Where an error reported to the hook happened. */
export interface ErrorInfo {
  client?: Address;
  /** The request being handled, when there was one. */
  request?: Request;
}

export type ErrorHook = (error: Error, info: ErrorInfo) => void;

/** A request head must arrive within 60 s of its first byte, as node:http's headersTimeout. → 408 */
export const HEADERS_TIMEOUT_MS = 60_000;
/** A whole request (head and body) within 300 s, as node:http's requestTimeout. → 408 */
export const REQUEST_TIMEOUT_MS = 300_000;
/** An idle keep-alive connection is closed after 5 s, as node:http's keepAliveTimeout. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** The default cap of `request.bytes()`/`text()`/`json()`: 10 MiB, as `seal serve --max-body`. → 413 */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpOptions {
  handler: Handler;
  limits?: Partial<ParserLimits>;
  maxBodyBytes?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /**
   * Called for every error: malformed requests and timeouts (SealErrors with a 4xx status),
   * requests refused as not implemented (501, 505), handler failures, broken responses. Default:
   * the server's own failures (500s and errors that are not Seal's) go to stderr; what a client
   * caused is not logged, so no client can fill the log.
   */
  onError?: ErrorHook;
  /**
   * The reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto`/`Forwarded` headers are
   * believed: addresses, CIDR blocks (`'10.0.0.0/8'`, `'fd00::/8'`) and `'loopback'`,
   * `'linklocal'`, `'uniquelocal'`. From a peer in the list, `request.client` and
   * `request.protocol` come from those headers; from any other peer they are ignored. Default:
   * none (the headers are never read).
   */
  trustProxy?: readonly string[];
}

export interface ResolvedHttpOptions {
  readonly handler: Handler;
  readonly limits: ParserLimits;
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly onError: ErrorHook;
  /** Null when no proxy is trusted, so a connection checks nothing. */
  readonly trustProxy: AddressMatcher | null;
}

function logServerErrors(error: Error): void {
  // 501 and 505 refuse what a client asked for; only a 500 is the server's own failure.
  if ((error instanceof SealError || error instanceof FormError) && error.status !== 500) return;
  process.stderr.write(`seal: ${error.stack ?? error.message}\n`);
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function trustProxyOf(entries: readonly string[] | undefined): AddressMatcher | null {
  if (entries === undefined) return null;
  if (!Array.isArray(entries)) throw new TypeError('trustProxy must be a list of addresses');
  const matcher = new AddressMatcher(entries);
  return matcher.empty ? null : matcher;
}

export function resolveHttpOptions(options: HttpOptions): ResolvedHttpOptions {
  if (typeof options.handler !== 'function') throw new TypeError('handler must be a function');
  const hook = options.onError;
  return Object.freeze({
    handler: options.handler,
    limits: resolveLimits(options.limits),
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes ?? MAX_BODY_BYTES),
    headersTimeoutMs: positive('headersTimeoutMs', options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
    keepAliveTimeoutMs: positive('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS),
    trustProxy: trustProxyOf(options.trustProxy),
    onError:
      hook === undefined
        ? logServerErrors
        : (error: Error, info: ErrorInfo) => {
            // A throwing hook must not take the connection loop down with it.
            try {
              hook(error, info);
            } catch (hookError) {
              logServerErrors(hookError instanceof Error ? hookError : new Error(String(hookError)));
            }
          },
  });
}
