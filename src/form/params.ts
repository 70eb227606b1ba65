/**
 * Content-Type and Content-Disposition values: a token, then parameters (RFC 9110 §5.6.6,
 * RFC 6266 §4.1), with quoted-strings (RFC 9110 §5.6.4) and extended values (RFC 8187). Pure
 * functions over strings; they return null for a value that does not parse, and `boundaryOf` says
 * why with a FormError.
 */
import { FIELD_VALUE, QDTEXT, QUOTED_PAIR, TOKEN, isAlpha, isDigit, oneOf, table } from './chars.js';
import { FormError, FormErrorCode } from './errors.js';
import { percentDecode } from './percent.js';

const isAlnum = (b: number): boolean => isAlpha(b) || isDigit(b);

/**
 * RFC 2046 §5.1.1
 *   bchars        = bcharsnospace / " "
 *   bcharsnospace = DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
 */
const BCHARS = table((b) => isAlnum(b) || oneOf("'()+_,-./:=? ")(b));

/**
 * RFC 8187 §3.2.1
 *   attr-char = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 */
const ATTR_CHAR = table((b) => isAlnum(b) || oneOf('!#$&+-.^_`|~')(b));

/** A language tag's characters (RFC 5646 §2.1); the tag itself is not used. */
const LANGUAGE = table((b) => isAlnum(b) || b === 0x2d);

const HEX_VALUE = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) t[0x41 + i] = t[0x61 + i] = 10 + i;
  return t;
})();
const hexValue = (code: number): number => (code < 256 ? HEX_VALUE[code]! : -1);

/**
 * RFC 8187 §3.2.1
 *   mime-charsetc = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "+" / "-" / "^" / "_" / "`" / "{" / "}" / "~"
 */
const MIME_CHARSET = table((b) => isAlnum(b) || oneOf('!#$%&+-^_`{}~')(b));

/** In a decoded header value, a character past U+00FF came from obs-text bytes (UTF-8). */
const inClass = (t: Uint8Array, code: number): boolean => (code < 256 ? t[code] === 1 : t[0x80] === 1);

// --- Parameters ----------------------------------------------------------------------------------

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const ASTERISK = 0x2a;
const APOSTROPHE = 0x27;
const PERCENT = 0x25;

const isOws = (code: number): boolean => code === 0x20 || code === 0x09;

/**
 * A cursor over one header value. Parsing runs to completion without calling out, so one reader
 * serves every call (a part header is parsed per part: allocations here are what it costs).
 */
class ValueReader {
  text = '';
  pos = 0;
  end = 0;

  reset(text: string): this {
    // Header values arrive trimmed, but a caller's string may not be.
    let start = 0;
    let end = text.length;
    while (start < end && isOws(text.charCodeAt(start))) start++;
    while (end > start && isOws(text.charCodeAt(end - 1))) end--;
    this.text = text;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** token = 1*tchar; '' when there is none here. */
  token(): string {
    const text = this.text;
    const token = TOKEN;
    const start = this.pos;
    let p = start;
    for (; p < this.end; p++) {
      const code = text.charCodeAt(p);
      if (code > 0xff || token[code] !== 1) break;
    }
    this.pos = p;
    return text.slice(start, p);
  }

  /**
   * quoted-string, unescaped; null when it is not closed or holds a byte it may not. With
   * `literalBackslash`, only `\"` and `\\` are quoted-pairs and any other backslash is itself.
   */
  quotedString(literalBackslash: boolean): string | null {
    const text = this.text;
    const end = this.end;
    const qdtext = QDTEXT;
    let value = '';
    let p = this.pos + 1; // past the opening DQUOTE
    let from = p;
    for (; p < end; p++) {
      const code = text.charCodeAt(p);
      if (code === DQUOTE) {
        this.pos = p + 1;
        return value === '' ? text.slice(from, p) : value + text.slice(from, p);
      }
      if (code === BACKSLASH) {
        if (p + 1 >= end) return null;
        const next = text.charCodeAt(p + 1);
        if (literalBackslash && next !== DQUOTE && next !== BACKSLASH) continue;
        if (!inClass(QUOTED_PAIR, next)) return null;
        value += text.slice(from, p);
        from = ++p; // the escaped character is kept as it is
      } else if (code < 0x80 && qdtext[code] !== 1) {
        return null;
      }
    }
    return null;
  }

  /**
   * parameters = *( OWS ";" OWS [ parameter ] )
   * parameter  = parameter-name "=" parameter-value   ; no whitespace around "=" (RFC 9110 §5.6.6)
   * parameter-value = ( token / quoted-string )
   * Appends name, value, name, value… to `into`; names are case-insensitive and kept lowercased.
   * A name given twice is refused: which one a recipient picks is exactly the kind of
   * disagreement that lets a body be read two ways (RFC 6266 §4.1 calls such values invalid).
   * With `disposition`, a starred name's value must be a token (RFC 8187: an ext-value is never
   * quoted) and backslashes are read as browsers write them (see parseContentDisposition).
   * False on a syntax error.
   */
  parameters(into: string[], disposition: boolean): boolean {
    const text = this.text;
    const end = this.end;
    for (;;) {
      let p = this.pos;
      while (p < end && isOws(text.charCodeAt(p))) p++;
      if (p === end) return true;
      if (text.charCodeAt(p) !== SEMICOLON) return false;
      p++;
      while (p < end && isOws(text.charCodeAt(p))) p++;
      this.pos = p;
      if (p === end || text.charCodeAt(p) === SEMICOLON) continue;
      const name = this.token().toLowerCase();
      p = this.pos;
      if (name === '' || p === end || text.charCodeAt(p) !== EQUALS) return false;
      this.pos = p + 1;
      let value: string | null;
      if (p + 1 < end && text.charCodeAt(p + 1) === DQUOTE) {
        if (disposition && name.charCodeAt(name.length - 1) === ASTERISK) return false;
        value = this.quotedString(disposition);
        if (value === null) return false;
      } else {
        value = this.token();
        if (value === '') return false;
      }
      for (let i = 0; i < into.length; i += 2) if (into[i] === name) return false;
      into.push(name, value);
    }
  }
}

const reader = new ValueReader();

/** The value of a parameter in a name, value… list. */
function lookup(list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

function toMap(list: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < list.length; i += 2) map.set(list[i]!, list[i + 1]!);
  return map;
}

// --- Content-Type --------------------------------------------------------------------------------

export interface MediaType {
  /** "type/subtype", lowercased. */
  readonly essence: string;
  readonly type: string;
  readonly subtype: string;
  /** Parameters by lowercased name, values unquoted and unescaped. */
  readonly parameters: ReadonlyMap<string, string>;
  /** One parameter by lowercased name, without building the map. */
  parameter(name: string): string | undefined;
}

class ParsedMediaType implements MediaType {
  readonly essence: string;
  private map: Map<string, string> | null = null;

  constructor(
    readonly type: string,
    readonly subtype: string,
    private readonly list: readonly string[],
  ) {
    this.essence = `${type}/${subtype}`;
  }

  get parameters(): ReadonlyMap<string, string> {
    return (this.map ??= toMap(this.list));
  }

  parameter(name: string): string | undefined {
    return lookup(this.list, name);
  }
}

/**
 * RFC 9110 §8.3.1
 *   media-type = type "/" subtype parameters
 *   type = token, subtype = token   ; case-insensitive
 * Null when the value does not parse.
 */
export function parseContentType(value: string): MediaType | null {
  reader.reset(value);
  const type = reader.token().toLowerCase();
  if (type === '' || reader.pos === reader.end || value.charCodeAt(reader.pos) !== SLASH) return null;
  reader.pos++;
  const subtype = reader.token().toLowerCase();
  if (subtype === '') return null;
  const list: string[] = [];
  if (!reader.parameters(list, false)) return null;
  return new ParsedMediaType(type, subtype, list);
}

// --- Content-Disposition -------------------------------------------------------------------------

export interface ContentDisposition {
  /** The disposition type, lowercased: "form-data" for a part of a form (RFC 7578 §4.2). */
  readonly type: string;
  /**
   * Parameters by lowercased name. An extended parameter (`filename*`) is kept under its name,
   * star included, already decoded; one in a charset other than UTF-8 and ISO-8859-1 is left out.
   */
  readonly parameters: ReadonlyMap<string, string>;
  /** `name*` when present and understood, else `name`. */
  readonly name: string | undefined;
  /** `filename*` when present and understood, else `filename` (RFC 6266 §4.3). */
  readonly filename: string | undefined;
}

class ParsedDisposition implements ContentDisposition {
  readonly name: string | undefined;
  readonly filename: string | undefined;
  private map: Map<string, string> | null = null;

  /** From a name, value… list; or, for the fast path, from a name and a filename alone. */
  constructor(
    readonly type: string,
    private readonly list: readonly string[] | null,
    simpleName?: string,
    simpleFilename?: string,
  ) {
    if (list === null) {
      this.name = simpleName;
      this.filename = simpleFilename;
      return;
    }
    let name: string | undefined;
    let filename: string | undefined;
    for (let i = 0; i < list.length; i += 2) {
      const key = list[i];
      if (key === 'name') name ??= list[i + 1];
      else if (key === 'filename') filename ??= list[i + 1];
      else if (key === 'name*') name = list[i + 1];
      else if (key === 'filename*') filename = list[i + 1];
    }
    this.name = name;
    this.filename = filename;
  }

  get parameters(): ReadonlyMap<string, string> {
    if (this.map === null) {
      const list = this.list ?? (this.filename === undefined ? ['name', this.name!] : ['name', this.name!, 'filename', this.filename]);
      this.map = toMap(list);
    }
    return this.map;
  }
}

/**
 * What browsers send, exactly, parsed in one step: the general parser below would read these the
 * same way (quoted-strings without backslashes, quotes or CTLs other than HTAB), but a regular
 * expression is three times faster, and a form has a part header per field.
 */
const FORM_DATA = /^form-data; name="([^"\\\x00-\x08\x0a-\x1f\x7f]*)"(?:; filename="([^"\\\x00-\x08\x0a-\x1f\x7f]*)")?$/;

/**
 * RFC 6266 §4.1
 *   content-disposition = disposition-type *( ";" disposition-parm )
 *   disposition-parm    = token "=" value / ext-token "=" ext-value
 * RFC 7578 §4.2 forbids senders the RFC 5987 `filename*`, but clients outside browsers send it,
 * and where it is understood it wins over `filename` (RFC 6266 §4.3), as in busboy.
 *
 * Backslashes. Browsers write names and filenames without backslash-escaping (the HTML
 * standard's multipart/form-data encoding percent-encodes only CR, LF and `"`), so a backslash
 * before any other character is kept as itself — `filename="C:\dir\a.txt"` keeps its path — while
 * `\"` and `\\` from RFC 9110 senders still read as `"` and `\`. This is what busboy does;
 * reading every quoted-pair per RFC 9110 §5.6.4 would give the same bytes two meanings on Node.
 * Null when the value does not parse.
 */
export function parseContentDisposition(value: string): ContentDisposition | null {
  const simple = FORM_DATA.exec(value);
  if (simple !== null) {
    return new ParsedDisposition('form-data', null, simple[1]!, simple[2]);
  }
  reader.reset(value);
  const type = reader.token().toLowerCase();
  if (type === '') return null;
  let list: string[] = [];
  if (!reader.parameters(list, true)) return null;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.charCodeAt(name.length - 1) !== ASTERISK) continue;
    const decoded = decodeExtValue(list[i + 1]!);
    if (decoded === null) return null;
    if (decoded === undefined) {
      list = [...list.slice(0, i), ...list.slice(i + 2)];
      i -= 2;
    } else {
      list[i + 1] = decoded;
    }
  }
  return new ParsedDisposition(type, list);
}

/**
 * RFC 8187 §3.2.1
 *   ext-value   = charset "'" [ language ] "'" value-chars
 *   charset     = "UTF-8" / "ISO-8859-1" / mime-charset   ; case-insensitive
 *   value-chars = *( pct-encoded / attr-char )
 * The decoded text; undefined for a charset other than the two every recipient must support
 * (the parameter is then ignored); null when the value does not parse. Bytes that are not valid
 * UTF-8 become U+FFFD.
 */
export function decodeExtValue(text: string): string | null | undefined {
  const charsetEnd = text.indexOf("'");
  if (charsetEnd <= 0) return null;
  for (let i = 0; i < charsetEnd; i++) if (!inClass(MIME_CHARSET, text.charCodeAt(i))) return null;
  let i = charsetEnd + 1;
  while (i < text.length && inClass(LANGUAGE, text.charCodeAt(i))) i++;
  if (i === text.length || text.charCodeAt(i) !== APOSTROPHE) return null;
  const valueStart = i + 1;
  let hasPercent = false;
  for (i = valueStart; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === PERCENT) {
      if (i + 2 >= text.length || hexValue(text.charCodeAt(i + 1)) < 0 || hexValue(text.charCodeAt(i + 2)) < 0) return null;
      hasPercent = true;
      i += 2;
    } else if (!inClass(ATTR_CHAR, code)) {
      return null;
    }
  }
  const charset = text.slice(0, charsetEnd).toLowerCase();
  if (charset === 'utf-8') return hasPercent ? percentDecode(text, false, valueStart) : text.slice(valueStart);
  if (charset === 'iso-8859-1') return latin1PercentDecode(text, valueStart);
  return undefined;
}

function latin1PercentDecode(text: string, start: number): string {
  let out = '';
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === PERCENT) {
      out += String.fromCharCode((hexValue(text.charCodeAt(i + 1)) << 4) | hexValue(text.charCodeAt(i + 2)));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// --- The boundary ---------------------------------------------------------------------------------

/** RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace — at most 70 characters. */
export const MAX_BOUNDARY_LENGTH = 70;

/** RFC 2046 §5.1.1: 1 to 70 bchars, not ending in a space. */
export function isValidBoundary(boundary: string): boolean {
  const n = boundary.length;
  if (n < 1 || n > MAX_BOUNDARY_LENGTH || boundary.charCodeAt(n - 1) === 0x20) return false;
  for (let i = 0; i < n; i++) {
    const code = boundary.charCodeAt(i);
    if (code > 0xff || BCHARS[code] !== 1) return false;
  }
  return true;
}

/**
 * The boundary of a `multipart/form-data` Content-Type (RFC 7578 §4.1: the boundary parameter is
 * required), quoted or not. Throws a FormError: UNSUPPORTED_MEDIA_TYPE (415) when the value is
 * absent or another media type, INVALID_CONTENT_TYPE when it does not parse, NO_BOUNDARY, or
 * INVALID_BOUNDARY when it breaks RFC 2046 §5.1.1.
 */
export function boundaryOf(contentType: string | undefined): string {
  if (contentType === undefined) {
    throw new FormError(FormErrorCode.UNSUPPORTED_MEDIA_TYPE, 'the request has no Content-Type; multipart/form-data was expected');
  }
  const media = parseContentType(contentType);
  if (media === null) throw new FormError(FormErrorCode.INVALID_CONTENT_TYPE, 'the Content-Type does not parse (RFC 9110 §8.3.1)');
  if (media.essence !== 'multipart/form-data') {
    throw new FormError(FormErrorCode.UNSUPPORTED_MEDIA_TYPE, 'the Content-Type is not multipart/form-data');
  }
  const boundary = media.parameter('boundary');
  if (boundary === undefined) throw new FormError(FormErrorCode.NO_BOUNDARY, 'multipart/form-data without a boundary parameter (RFC 7578 §4.1)');
  if (!isValidBoundary(boundary)) {
    throw new FormError(FormErrorCode.INVALID_BOUNDARY, 'the boundary is not 1 to 70 bchars ending in a non-space (RFC 2046 §5.1.1)');
  }
  return boundary;
}
