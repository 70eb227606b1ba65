/**
 * Cookies (RFC 6265, with RFC 6265bis's SameSite and CHIPS' Partitioned): reading the `Cookie`
 * field a browser sends, and writing `Set-Cookie` fields that browsers will not silently drop.
 *
 * Reading is lenient (a server takes what user agents send); writing is strict: a name that is
 * not a token, or a value with a CR, LF, ";", ",", space or misplaced DQUOTE, throws instead of
 * producing a field a browser would misread — or one that splits the response.
 */
import { TOKEN } from './chars.js';
import { ErrorCode, SealError } from './errors.js';
import type { Request } from './request.js';
import type { Response } from './response.js';

// --- reading ---------------------------------------------------------------------------------------

export interface Cookie {
  readonly name: string;
  readonly value: string;
}

/** The cookies of a request, every pair in the order sent. */
export class Cookies implements Iterable<Cookie> {
  readonly list: readonly Cookie[];

  constructor(list: readonly Cookie[]) {
    this.list = list;
  }

  get size(): number {
    return this.list.length;
  }

  /**
   * The first value sent for `name`. RFC 6265 §5.4 has user agents list cookies with longer
   * paths first, so the first is the most specific one.
   */
  get(name: string): string | undefined {
    for (const cookie of this.list) if (cookie.name === name) return cookie.value;
    return undefined;
  }

  /** Every value sent for `name`, in order (one per path or domain the browser holds it for). */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (const cookie of this.list) if (cookie.name === name) out.push(cookie.value);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  [Symbol.iterator](): Iterator<Cookie> {
    return this.list[Symbol.iterator]();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A field value is latin1 text (one character per byte); browsers send non-ASCII cookie values
 * as UTF-8, so bytes that form valid UTF-8 are decoded as such, and anything else is kept as is.
 */
function fromFieldBytes(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) if (text.charCodeAt(i) > 0x7f) ascii = false;
  if (ascii) return text;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  try {
    return utf8.decode(bytes);
  } catch {
    return text;
  }
}

function trimWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(start, end);
}

/**
 * Parses `Cookie` field values (RFC 6265 §4.2.1: `name=value` pairs separated by "; ").
 * Several fields (as HTTP/2 sends them, or a proxy might) are read in order as one list. A pair
 * without "=" is a cookie with an empty name (RFC 6265bis §5.7.3 sends those as the value
 * alone); a value in double quotes loses its quotes; empty pairs are skipped. Values are not
 * percent-decoded: what a handler put in is what it gets back.
 */
export function parseCookies(fields: string | readonly string[] | undefined): Cookies {
  const list: Cookie[] = [];
  const values = fields === undefined ? [] : typeof fields === 'string' ? [fields] : fields;
  for (const field of values) {
    for (const piece of field.split(';')) {
      const pair = trimWhitespace(piece);
      if (pair.length === 0) continue;
      const eq = pair.indexOf('=');
      const name = eq < 0 ? '' : trimWhitespace(pair.slice(0, eq));
      let value = eq < 0 ? pair : trimWhitespace(pair.slice(eq + 1));
      if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1);
      list.push({ name: fromFieldBytes(name), value: fromFieldBytes(value) });
    }
  }
  return new Cookies(list);
}

/** The cookies a request carries (every `Cookie` field). */
export function cookiesOf(request: Request): Cookies {
  return parseCookies(request.headers.getAll('cookie'));
}

// --- writing ---------------------------------------------------------------------------------------

/**
 * RFC 6265 §4.1.1
 *   cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
 *                  ; US-ASCII characters excluding CTLs, whitespace, DQUOTE, comma, semicolon and backslash
 */
export const COOKIE_OCTET = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x21; b <= 0x7e; b++) t[b] = b === 0x22 || b === 0x2c || b === 0x3b || b === 0x5c ? 0 : 1;
  return t;
})();

/**
 * RFC 6265 §4.1.1
 *   path-value = <any CHAR except CTLs or ";">    (and so also the value of any other attribute)
 */
const ATTRIBUTE_OCTET = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x20; b <= 0x7e; b++) t[b] = b === 0x3b ? 0 : 1;
  return t;
})();

/** RFC 6265bis §4.1.1 / §5.6: browsers ignore a cookie whose name and value exceed 4096 bytes… */
export const MAX_COOKIE_NAME_VALUE_BYTES = 4096;
/** …and an attribute value over 1024 bytes. */
export const MAX_COOKIE_ATTRIBUTE_BYTES = 1024;

export type SameSite = 'Strict' | 'Lax' | 'None';

export interface CookieOptions {
  /** Seconds until the cookie expires; 0 or less expires it now (RFC 6265 §5.2.2). An integer. */
  maxAge?: number;
  /** When the cookie expires; written as an IMF-fixdate. Max-Age wins where both are given. */
  expires?: Date;
  /** The URL path the cookie is sent for; by default the folder of the request's path. */
  path?: string;
  /** The host and its subdomains the cookie is sent to; by default the request's host only. */
  domain?: string;
  /** Sent only over HTTPS. */
  secure?: boolean;
  /** Not visible to scripts (document.cookie). */
  httpOnly?: boolean;
  /** Whether cross-site requests carry it. `None` requires `secure`. */
  sameSite?: SameSite;
  /** Kept per top-level site (CHIPS). Requires `secure`. */
  partitioned?: boolean;
}

function refuse(message: string): never {
  throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, message);
}

/** RFC 6265 §4.1.1: cookie-name = token. */
function checkName(name: string): void {
  if (name.length === 0) refuse('a cookie name is empty');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) refuse('a cookie name is not a token');
  }
}

/** RFC 6265 §4.1.1: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ). */
function checkValue(value: string): void {
  const quoted = value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22;
  const end = quoted ? value.length - 1 : value.length;
  for (let i = quoted ? 1 : 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || COOKIE_OCTET[c] !== 1) {
      refuse('a cookie value holds a character outside cookie-octet (CTL, space, DQUOTE, comma, semicolon or backslash)');
    }
  }
}

function checkAttribute(name: string, value: string): void {
  if (value.length > MAX_COOKIE_ATTRIBUTE_BYTES) refuse(`the cookie's ${name} is longer than ${MAX_COOKIE_ATTRIBUTE_BYTES} bytes`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || ATTRIBUTE_OCTET[c] !== 1) refuse(`the cookie's ${name} holds a control character or ";"`);
  }
}

/**
 * RFC 6265 §4.1.2.3: a domain is a host name (RFC 1034 labels, an optional leading dot that
 * browsers ignore) or an IP address; nothing else can match a request's host.
 */
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * RFC 9110 §5.6.7 IMF-fixdate. Cookie dates reach back to 1601 (RFC 6265 §5.1.1) and
 * toUTCString writes four-digit years only up to 9999.
 */
function cookieDate(date: Date): string {
  const time = date.getTime();
  if (!Number.isFinite(time)) refuse('the cookie expiry date is not a valid date');
  const year = date.getUTCFullYear();
  if (year < 1601 || year > 9999) refuse('the cookie expiry date is outside the years 1601 to 9999');
  return date.toUTCString();
}

/**
 * A `Set-Cookie` field value: `name=value` followed by the attributes given, in the order of
 * RFC 6265 §4.1.1. Throws a `SealError` (INVALID_RESPONSE_HEADER) for anything a browser would
 * reject or misread, including the rules of the `__Secure-` and `__Host-` name prefixes
 * (RFC 6265bis §4.1.3).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  checkName(name);
  checkValue(value);
  if (name.length + value.length > MAX_COOKIE_NAME_VALUE_BYTES) refuse(`a cookie's name and value are longer than ${MAX_COOKIE_NAME_VALUE_BYTES} bytes`);
  let out = `${name}=${value}`;
  if (options.maxAge !== undefined) {
    if (!Number.isSafeInteger(options.maxAge)) refuse('the cookie Max-Age is not an integer');
    out += `; Max-Age=${options.maxAge}`;
  }
  if (options.expires !== undefined) out += `; Expires=${cookieDate(options.expires)}`;
  if (options.domain !== undefined) {
    if (options.domain.length > 253 || !DOMAIN.test(options.domain)) refuse('the cookie Domain is not a host name');
    out += `; Domain=${options.domain}`;
  }
  if (options.path !== undefined) {
    checkAttribute('Path', options.path);
    if (!options.path.startsWith('/')) refuse('the cookie Path does not start with "/"');
    out += `; Path=${options.path}`;
  }
  const secure = options.secure === true;
  if (secure) out += '; Secure';
  if (options.httpOnly === true) out += '; HttpOnly';
  if (options.sameSite !== undefined) {
    const sameSite: unknown = options.sameSite;
    if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') refuse('the cookie SameSite is Strict, Lax or None');
    // RFC 6265bis §5.6.7 (and every current browser): SameSite=None without Secure is rejected.
    if (sameSite === 'None' && !secure) refuse('a SameSite=None cookie must be Secure');
    out += `; SameSite=${sameSite}`;
  }
  if (options.partitioned === true) {
    if (!secure) refuse('a Partitioned cookie must be Secure');
    out += '; Partitioned';
  }
  // RFC 6265bis §4.1.3: browsers reject prefixed names that break their prefix's promise.
  if (name.startsWith('__Secure-') && !secure) refuse('a __Secure- cookie must be Secure');
  if (name.startsWith('__Host-') && (!secure || options.path !== '/' || options.domain !== undefined)) {
    refuse('a __Host- cookie must be Secure, with Path=/ and no Domain');
  }
  return out;
}

/** Adds a `Set-Cookie` field (one per cookie: they are never folded into one line, RFC 6265 §3). */
export function setCookie(response: Response, name: string, value: string, options: CookieOptions = {}): void {
  response.appendHeader('Set-Cookie', serializeCookie(name, value, options));
}

/**
 * Tells the browser to drop a cookie: the same name, path and domain (which identify it),
 * an empty value, `Max-Age=0`, and an `Expires` in the past for clients that predate Max-Age.
 */
export function clearCookie(response: Response, name: string, options: Omit<CookieOptions, 'maxAge' | 'expires'> = {}): void {
  setCookie(response, name, '', { ...options, maxAge: 0, expires: new Date(0) });
}
