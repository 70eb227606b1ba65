/**
 * From a request's path to the names of the file it asks for, inside the served folder.
 *
 * Every way of naming something outside the folder is refused here, before the file system is
 * asked anything: dot segments, raw or percent-encoded (`..`, `%2e%2e`); separators hidden in a
 * segment (`%2f`, `\`, `%5c`); NUL and other control characters (`%00`); percent-escapes that are
 * not UTF-8. Empty segments (`//etc/passwd`) are dropped, so the names are always relative to
 * the folder. What is left is still checked against the folder after symlinks are resolved
 * (static/resolve.ts), since a name inside it may be a link leading out.
 *
 * This module imports nothing from `node:`.
 */

export type StaticPath =
  | {
      readonly ok: true;
      /** The decoded names below the served folder, in order; [] for the folder itself. */
      readonly names: readonly string[];
      /** The path ended with "/": the request is for a folder. */
      readonly trailingSlash: boolean;
    }
  | { readonly ok: false; readonly status: 403 | 404 };

export interface StaticPathOptions {
  /** The decoded names the served folder appears under ([] for "/"). */
  prefix: readonly string[];
  /** Whether names starting with "." may be served. */
  dotfiles: boolean;
}

const FORBIDDEN: StaticPath = Object.freeze({ ok: false, status: 403 });
const NOT_FOUND: StaticPath = Object.freeze({ ok: false, status: 404 });

/**
 * `rawPath` is the path of the request-target as received (still percent-encoded), so that an
 * encoded "/" is seen for what it is instead of becoming a separator.
 */
export function parseStaticPath(rawPath: string, options: StaticPathOptions): StaticPath {
  if (rawPath.charCodeAt(0) !== 0x2f /* / */) return NOT_FOUND;
  const raw = rawPath.split('/');
  const names: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < raw.length; i++) {
    const segment = raw[i]!;
    if (segment.length === 0) {
      if (i === raw.length - 1) trailingSlash = true;
      continue;
    }
    const name = decodeSegment(segment);
    if (name === null) return NOT_FOUND; // not UTF-8: no file can be named by it
    if (!isPlainName(name)) return FORBIDDEN;
    names.push(name);
  }
  const prefix = options.prefix;
  if (names.length < prefix.length) return NOT_FOUND;
  for (let i = 0; i < prefix.length; i++) if (names[i] !== prefix[i]) return NOT_FOUND;
  const below = names.slice(prefix.length);
  if (!options.dotfiles && below.some((name) => name.charCodeAt(0) === 0x2e /* . */)) return NOT_FOUND;
  return { ok: true, names: below, trailingSlash };
}

/**
 * A name that means one entry of a folder and nothing else: not "." or "..", no separator of any
 * platform ("/", "\"), no NUL or other control character (RFC 3986 §3.3 dot-segments; the
 * control characters because file names holding them only serve to confuse logs and listings).
 */
export function isPlainName(name: string): boolean {
  if (name === '.' || name === '..') return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f /* / */ || c === 0x5c /* \ */) return false;
  }
  return true;
}

const HEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Percent-decodes one segment (RFC 3986 §2.1) to UTF-8 text; null when the bytes are not UTF-8.
 * A "%" not followed by two hex digits stays a "%", as browsers treat it.
 */
export function decodeSegment(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  const bytes = new Uint8Array(segment.length);
  let n = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c > 0x7f) return null; // a request-target is ASCII (RFC 9112 §3.2); the parser ensures it
    if (c === 0x25 && i + 2 < segment.length) {
      const hi = HEX[segment.charCodeAt(i + 1)] ?? -1;
      const lo = HEX[segment.charCodeAt(i + 2)] ?? -1;
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = c;
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return null;
  }
}

/** A path for a URL: each name percent-encoded (so "/", "?", "#", "%" and ":" stay data). */
export function encodePath(names: readonly string[], trailingSlash: boolean): string {
  const path = '/' + names.map(encodeName).join('/');
  return trailingSlash && names.length > 0 ? path + '/' : path;
}

/** One name as a URL path segment (also a safe relative link: "a:b" becomes "a%3Ab", never a scheme). */
export function encodeName(name: string): string {
  try {
    return encodeURIComponent(name);
  } catch {
    // A lone surrogate (not from a file system that stores UTF-8): encode its replacement.
    return encodeURIComponent(name.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}
