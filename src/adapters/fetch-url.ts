/**
 * The URL and method of the WHATWG Request a fetch application receives, exactly as
 * `new Request(url, { method })` would hold them, computed without parsing when that is safe.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode, SealError } from '../http/errors.js';
import type { Request as SealRequest } from '../http/request.js';

/**
 * The method as `new Request()` normalizes it (Fetch §5.3: DELETE, GET, HEAD, OPTIONS, POST and
 * PUT are upper-cased whatever their case; any other token is kept as it came).
 */
export function fetchMethod(method: string): string {
  switch (method) {
    case 'GET':
    case 'POST':
    case 'HEAD':
    case 'PUT':
    case 'DELETE':
    case 'OPTIONS':
    case 'PATCH':
      return method;
  }
  const upper = method.toUpperCase();
  switch (upper) {
    case 'DELETE':
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'POST':
    case 'PUT':
      return upper;
  }
  return method;
}

/**
 * Hosts whose URL serialization is the text itself: lower-case reg-names whose last label cannot
 * be read as an IPv4 number, or a canonical dotted quad. Anything else (upper case, `xn--`
 * labels, `127.1`, `[::1]`) goes through `new URL()`.
 */
const PLAIN_HOST = /^(?:(?:[a-z0-9_-]+\.)*[a-z_][a-z0-9_-]*\.?|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))$/;
/**
 * What `new URL()` would rewrite in an origin-form target: characters it percent-encodes in a
 * path or a query (`"` `'` `<` `>` `` ` `` `{` `}`), a backslash (a slash in http URLs), and dot
 * segments, also percent-encoded ones.
 */
const URL_REWRITES = /["'<>\\`{}]|\/(?:\.|%2e){1,2}(?:[/?]|$)/i;

/**
 * The request's URL as `new Request()` would serialize it: the scheme the client used, the
 * Host field (or the server's address for an HTTP/1.0 request without one) and the target.
 * Strings are joined when the result is already what the URL parser would produce; otherwise it
 * is parsed. A target that cannot be an http(s) URL is refused with 400.
 */
export function requestUrl(request: SealRequest): string {
  const target = request.target;
  // The client's scheme: the connection's, or what a trusted proxy says the client used.
  const scheme = request.protocol;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    const fields = request.headers;
    const at = fields.indexOf('host');
    if (at < 0) return parsedUrl(scheme + '://' + hostOfAddress(request.server.address, request.server.port) + target);
    const origin = plainOrigin(fields.buf, fields.valueStart(at), fields.valueEnd(at), scheme);
    if (origin !== undefined && !URL_REWRITES.test(target)) return origin + target;
    return parsedUrl(scheme + '://' + fields.value(at) + target);
  }
  // absolute-form (RFC 9112 §3.2.2): the target names the URL itself.
  if (/^https?:\/\//i.test(target)) return parsedUrl(target);
  // asterisk-form (`OPTIONS *`) and authority-form have no URL a Request can carry.
  throw new SealError(ErrorCode.INVALID_TARGET, 'the request-target is not a URL path');
}

/**
 * The last Host checked (its bytes, and the scheme) and what it gave: `scheme://host` when the
 * URL parser would keep it as it is, else undefined. Clients send the same Host again and again;
 * comparing its bytes spares decoding it and checking it for every request.
 */
let lastHost = new Uint8Array(0);
let lastScheme = '';
let lastOrigin: string | undefined;

function plainOrigin(buf: Uint8Array, start: number, end: number, scheme: string): string | undefined {
  if (scheme === lastScheme && sameBytes(lastHost, buf, start, end)) return lastOrigin;
  const host = latin1Text(buf, start, end);
  const origin = checkAuthority(host, scheme) ? scheme + '://' + host : undefined;
  lastHost = buf.slice(start, end);
  lastScheme = scheme;
  lastOrigin = origin;
  return origin;
}

function sameBytes(known: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== buf[start + i]) return false;
  return true;
}

/** One flat string (not a rope of one-character pieces: it is kept, and compared, for long). */
function latin1Text(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

function checkAuthority(host: string, scheme: string): boolean {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return PLAIN_HOST.test(host);
  const port = host.slice(colon + 1);
  // The URL parser drops the scheme's default port and leading zeros, and refuses ports > 65535.
  if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) return false;
  if (port === (scheme === 'http' ? '80' : '443')) return false;
  return PLAIN_HOST.test(host.slice(0, colon));
}

function hostOfAddress(address: string, port: number): string {
  return (address.includes(':') ? `[${address}]` : address) + ':' + port;
}

function parsedUrl(text: string): string {
  try {
    return new URL(text).href;
  } catch {
    throw new SealError(ErrorCode.INVALID_HOST, 'the request does not make a valid URL');
  }
}
