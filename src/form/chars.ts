/**
 * The byte classes of RFC 9110 that field syntax is built from, as 256-entry tables built once
 * from the ABNF. Shared by the form parsers and the HTTP parser and response writer
 * (src/http/chars.ts re-exports them): a rule is written exactly once. Depends on nothing.
 */

/** A 256-entry table: 1 where `predicate` holds for the byte. */
export function table(predicate: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = predicate(b) ? 1 : 0;
  return t;
}

export const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
export const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
export const oneOf = (chars: string): ((b: number) => boolean) => {
  const set = new Set(Array.from(chars, (c) => c.charCodeAt(0)));
  return (b) => set.has(b);
};

/**
 * RFC 9110 §5.6.2
 *   token = 1*tchar
 *   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 *         / DIGIT / ALPHA
 */
export const TOKEN = table((b) => isAlpha(b) || isDigit(b) || oneOf("!#$%&'*+-.^_`|~")(b));

/**
 * RFC 9110 §5.5
 *   field-value = *field-content ; here taken byte by byte
 *   field-vchar = VCHAR / obs-text   ; VCHAR = %x21-7E, obs-text = %x80-FF
 * plus SP and HTAB, which may appear inside a value. NUL, CR, LF, other CTLs and DEL are not in it.
 * A multipart part's header fields are HTTP-style fields (RFC 7578 §4.8): the same bytes.
 */
export const FIELD_VALUE = table((b) => b === 0x20 || b === 0x09 || (b >= 0x21 && b <= 0x7e) || b >= 0x80);

/**
 * RFC 9110 §5.6.4
 *   qdtext      = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *   quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
 */
export const QDTEXT = table((b) => b === 0x09 || b === 0x20 || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80);
export const QUOTED_PAIR = table((b) => b === 0x09 || b === 0x20 || (b >= 0x21 && b <= 0x7e) || b >= 0x80);
