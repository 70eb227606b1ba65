/**
 * Percent-decoding (RFC 3986 §2.1) to UTF-8 text, the way the WHATWG URL standard does it: a "%"
 * not followed by two hex digits stays as it is, and bytes that are not valid UTF-8 become U+FFFD
 * as the WHATWG Encoding standard's UTF-8 decoder replaces them. A leading BOM is kept: the URL
 * standard decodes "without BOM", so U+FEFF is text like any other. This module depends on nothing.
 */

/** A byte's value as a hex digit (RFC 3986 §2.1: HEXDIG, either case), or -1. */
export const HEX_VALUE = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) t[0x41 + i] = t[0x61 + i] = 10 + i;
  return t;
})();

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

/** WHATWG Encoding §4.1 "UTF-8 decode without BOM": invalid sequences become U+FFFD, U+FEFF stays. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** UTF-8 text of bytes[start, end), decoded as the URL standard does (see utf8 above). */
export function utf8Decode(bytes: Uint8Array, start: number, end: number): string {
  if (start === 0 && end === bytes.length) return utf8.decode(bytes);
  // Over a plain view: a Buffer's own subarray() costs more than a short decode.
  return utf8.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
}

/**
 * WHATWG URL §1.3 "percent-decode" over bytes: src[start, end) into out from `at`, "%" and two
 * hex digits as the byte they spell, any other byte as itself; with `plusIsSpace`, "+" as 0x20
 * (application/x-www-form-urlencoded). The output is never longer than the input, so `out` may be
 * `src` itself with `at <= start`. Returns how many bytes were written. Reads nothing outside
 * src[start, end): an escape cut by `end` stays literal.
 */
export function percentDecodeBytes(src: Uint8Array, start: number, end: number, plusIsSpace: boolean, out: Uint8Array, at: number): number {
  const hex = HEX_VALUE;
  let n = at;
  for (let p = start; p < end; p++) {
    let b = src[p]!;
    if (b === PERCENT) {
      if (p + 2 < end) {
        const hi = hex[src[p + 1]!]!;
        const lo = hex[src[p + 2]!]!;
        if ((hi | lo) >= 0) {
          b = (hi << 4) | lo;
          p += 2;
        }
      }
    } else if (b === PLUS && plusIsSpace) {
      b = SPACE;
    }
    out[n++] = b;
  }
  return n - at;
}

/**
 * text[start, end), a name or value of pure ASCII, decoded as application/x-www-form-urlencoded:
 * "+" as a space and each escape of an ASCII byte as its character, joined from slices of the
 * text (no bytes, no TextDecoder). Null when an escape spells a byte past 0x7F: that is UTF-8, to
 * be decoded from bytes (percentDecodeBytes, then utf8Decode).
 */
export function percentDecodeAscii(text: string, start: number, end: number): string | null {
  const hex = HEX_VALUE;
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === PLUS) {
      out += text.slice(from, i) + ' ';
      from = i + 1;
    } else if (c === PERCENT && i + 2 < end) {
      const hi = hex[text.charCodeAt(i + 1)]!;
      const lo = hex[text.charCodeAt(i + 2)]!;
      if ((hi | lo) < 0) continue;
      const byte = (hi << 4) | lo;
      if (byte >= 0x80) return null;
      out += text.slice(from, i) + String.fromCharCode(byte);
      i += 2;
      from = i + 1;
    }
  }
  return out + text.slice(from, end);
}

/**
 * text[start, end), a name or value of pure ASCII whose escapes spell UTF-8, decoded as
 * application/x-www-form-urlencoded: the escapes and "+" are written out as bytes (an ASCII
 * character is its own byte) and the bytes decoded once as UTF-8.
 */
export function percentDecodeAsciiToUtf8(text: string, start: number, end: number): string {
  const hex = HEX_VALUE;
  const length = end - start;
  const bytes = length <= scratch.length ? scratch : length <= 64 * 1024 ? (scratch = new Uint8Array(length)) : new Uint8Array(length);
  let n = 0;
  for (let i = start; i < end; i++) {
    let b = text.charCodeAt(i);
    if (b === PLUS) {
      b = SPACE;
    } else if (b === PERCENT && i + 2 < end) {
      const hi = hex[text.charCodeAt(i + 1)]!;
      const lo = hex[text.charCodeAt(i + 2)]!;
      if ((hi | lo) >= 0) {
        b = (hi << 4) | lo;
        i += 2;
      }
    }
    bytes[n++] = b;
  }
  return utf8Decode(bytes, 0, n);
}

/** Scratch for the string decoders here, which run to completion without calling out. */
let scratch = new Uint8Array(256);

/**
 * Decodes `text[start, end)`; with `plusIsSpace`, "+" means a space
 * (application/x-www-form-urlencoded). A lone surrogate becomes U+FFFD, as its UTF-8 encoding does.
 */
export function percentDecode(text: string, plusIsSpace: boolean, start = 0, end = text.length): string {
  let i = start;
  // Fast path: nothing to decode.
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === PERCENT || (plusIsSpace && c === PLUS) || (c >= 0xd800 && c <= 0xdfff)) break;
  }
  if (i === end) return start === 0 && end === text.length ? text : text.slice(start, end);

  // Three bytes at most per UTF-16 code unit.
  const room = 3 * (end - start);
  const bytes = room <= scratch.length ? scratch : room <= 64 * 1024 ? (scratch = new Uint8Array(room)) : new Uint8Array(room);
  const { written } = encoder.encodeInto(text.slice(start, end), bytes);
  const n = percentDecodeBytes(bytes, 0, written, plusIsSpace, bytes, 0);
  return utf8Decode(bytes, 0, n);
}
