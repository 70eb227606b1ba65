/**
 * Redirects (RFC 9110 §15.4): a 3xx status, a `Location` field, and no content.
 */
import { ErrorCode, SealError } from './errors.js';
import type { Response } from './response.js';

/**
 * The redirecting statuses (RFC 9110 §15.4.2–§15.4.9). 301 and 302 let a client turn a POST into
 * a GET; 307 and 308 keep the method and body; 303 always means "GET this other resource", which
 * is what answering a form post wants, hence the default.
 */
export const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

const HEX = '0123456789ABCDEF';

/**
 * Characters RFC 3986 allows in a URI-reference: unreserved, reserved (gen-delims and
 * sub-delims) and "%" of pct-encoded. Anything else printable (SP, DQUOTE, "<", ">", "\", "^",
 * "`", "{", "|", "}") and every non-ASCII character is percent-encoded as UTF-8.
 */
const URI_CHAR = (() => {
  const t = new Uint8Array(128);
  const allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%";
  for (const c of allowed) t[c.charCodeAt(0)] = 1;
  return t;
})();

const encoder = new TextEncoder();

/**
 * `location` as a field value: characters a URI may not hold are percent-encoded (so
 * `/files/café` works), and control characters are refused, CR and LF above all — a Location
 * built from user input must not be able to split the response (RFC 9112 §2.2, §5.5).
 */
export function encodeLocation(location: string): string {
  if (location.length === 0) throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the redirect location is empty');
  let out = '';
  for (let i = 0; i < location.length; i++) {
    const c = location.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the redirect location holds a control character');
    }
    if (c < 0x80 && URI_CHAR[c] === 1) {
      out += location[i];
      continue;
    }
    let char = location[i]!;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = location.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the redirect location is not valid Unicode');
      char += location[++i];
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'the redirect location is not valid Unicode');
    }
    for (const byte of encoder.encode(char)) out += '%' + HEX[byte >> 4] + HEX[byte & 15];
  }
  return out;
}

/**
 * Answers with `status` (default 303 See Other), `Location: location` and `Content-Length: 0`,
 * and ends the response. Throws a `SealError` (INVALID_RESPONSE_HEADER) before anything is
 * changed when the status is not a redirect or the location holds a control character.
 */
export function redirect(response: Response, location: string, status: RedirectStatus = 303): void {
  if (!(REDIRECT_STATUSES as readonly number[]).includes(status)) {
    throw new SealError(ErrorCode.INVALID_RESPONSE_HEADER, 'a redirect status is 301, 302, 303, 307 or 308');
  }
  const value = encodeLocation(location);
  response.status = status;
  response.reason = undefined;
  response.setHeader('Location', value);
  response.setHeader('Content-Length', 0);
  response.end();
}
