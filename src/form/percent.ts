/**
 * Percent-decoding (RFC 3986 §2.1) to UTF-8 text, the way the WHATWG URL standard does it:
 * a "%" not followed by two hex digits stays as it is, and bytes that are not valid UTF-8 become
 * U+FFFD. This module depends on nothing.
 */

const HEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

const utf8 = new TextDecoder('utf-8');
const encoder = new TextEncoder();

function hexValue(code: number): number {
  return code < 128 ? HEX[code]! : -1;
}

/**
 * Decodes `text[start, end)`; with `plusIsSpace`, "+" means a space
 * (application/x-www-form-urlencoded).
 */
export function percentDecode(text: string, plusIsSpace: boolean, start = 0, end = text.length): string {
  let i = start;
  // Fast path: nothing to decode.
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || (plusIsSpace && c === 0x2b)) break;
  }
  if (i === end) return start === 0 && end === text.length ? text : text.slice(start, end);

  const bytes = encoder.encode(text.slice(start, end));
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let p = 0; p < bytes.length; p++) {
    const b = bytes[p]!;
    if (b === 0x25 && p + 2 < bytes.length) {
      const hi = hexValue(bytes[p + 1]!);
      const lo = hexValue(bytes[p + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        p += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && b === 0x2b ? 0x20 : b;
  }
  return utf8.decode(out.subarray(0, n));
}
