/**
 * application/x-www-form-urlencoded bodies and query strings, read as the WHATWG URL standard's
 * urlencoded parser reads them — the same names and values, in the same order, as URLSearchParams:
 *
 *   WHATWG URL §5.1 application/x-www-form-urlencoded parsing
 *   1. split the bytes on "&"; an empty sequence is skipped
 *   2. split each sequence on its first "=" into name and value (no "=": the value is empty)
 *   3. in each, "+" → 0x20, then percent-decode (a "%" without two hex digits stays literal),
 *      then UTF-8 decode without BOM (invalid bytes → U+FFFD)
 *
 * UrlencodedParser is incremental, with the push contract of the other parsers:
 * `execute(chunk, start, end)` takes body bytes split anywhere — inside a field, between "%" and
 * its digits, inside a UTF-8 sequence — and returns how many it consumed; each field goes to the
 * sink (or into `fields`) once it is whole; `finish()` ends the body. Any byte sequence is a form,
 * so the only errors are the limits; an error is sticky until `reset()`, never thrown, and records
 * the body offset of the refused byte. parseUrlencoded runs the same parser over a whole string:
 * there is one implementation.
 *
 * Copies. A field inside one chunk is decoded from the chunk; only a field that straddles chunks is
 * copied, once, into a carry buffer bounded by the name and value limits. Each field is decoded
 * once, when it is whole. A field of ASCII is read from the chunk's text, decoded once per chunk
 * (parseUrlencoded reads the caller's string itself): without "%" or "+" it is a slice of it, and
 * a long slice keeps that text alive as long as it lives — at most the body, once.
 *
 * This module imports nothing from `node:`: it works on any Uint8Array.
 */
import { FormError, FormErrorCode } from './errors.js';
import { MAX_FIELD_BYTES, MAX_FIELDS } from './limits.js';
import { percentDecodeAscii, percentDecodeAsciiToUtf8, percentDecodeBytes, utf8Decode } from './percent.js';

/** Field name → every value, in order. No prototype: `__proto__` is an ordinary field name. */
export type FieldMap = Record<string, string[]>;

export function emptyFieldMap(): FieldMap {
  return Object.setPrototypeOf({}, null) as FieldMap;
}

// --- Limits -------------------------------------------------------------------------------------

/**
 * Fields in one form: 1000, as a multipart form's (MAX_FIELDS, PHP's max_input_vars), so a form
 * meets the same limit however it is sent. Each field costs two strings and a list entry. Empty
 * sequences ("&&") are not fields; a field dropped for its blank value counts. → 413 TOO_MANY_FIELDS
 */
export const MAX_URLENCODED_FIELDS = MAX_FIELDS;
/**
 * Bytes of one field name as sent (percent-encoded): 1 KiB. Names are keys a handler looks up,
 * not content; busboy's 100 bytes is overrun by the control names ASP.NET generates. → 413 FIELD_TOO_LARGE
 */
export const MAX_FIELD_NAME_BYTES = 1024;
/**
 * Bytes of one field value as sent (percent-encoded): 1 MiB, as a multipart field's
 * (MAX_FIELD_BYTES, busboy's fieldSize): a value is held in memory as a string. → 413 FIELD_TOO_LARGE
 */
export const MAX_URLENCODED_FIELD_BYTES = MAX_FIELD_BYTES;

export interface UrlencodedLimits {
  readonly maxFields: number;
  readonly maxFieldNameBytes: number;
  readonly maxFieldBytes: number;
}

export const DEFAULT_URLENCODED_LIMITS: UrlencodedLimits = Object.freeze({
  maxFields: MAX_URLENCODED_FIELDS,
  maxFieldNameBytes: MAX_FIELD_NAME_BYTES,
  maxFieldBytes: MAX_URLENCODED_FIELD_BYTES,
});

/**
 * Merges overrides once into a frozen object. Each limit is a whole number ≥ 0, or Infinity. Other
 * keys are ignored, so a multipart `limits` object (which shares maxFields and maxFieldBytes) may
 * be passed as it is.
 */
export function resolveUrlencodedLimits(overrides: Partial<UrlencodedLimits> = {}): UrlencodedLimits {
  const merged: UrlencodedLimits = {
    maxFields: overrides.maxFields ?? MAX_URLENCODED_FIELDS,
    maxFieldNameBytes: overrides.maxFieldNameBytes ?? MAX_FIELD_NAME_BYTES,
    maxFieldBytes: overrides.maxFieldBytes ?? MAX_URLENCODED_FIELD_BYTES,
  };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !(Number.isSafeInteger(value) || value === Infinity) || value < 0) {
      throw new RangeError(`${name} must be a whole number ≥ 0 or Infinity`);
    }
  }
  return Object.freeze(merged);
}

// --- The sink and the options ---------------------------------------------------------------------

export interface UrlencodedSink {
  /** A whole field, decoded, in the order received. */
  onField(name: string, value: string): void;
  /** The body was refused; no more fields follow. */
  onError?(error: FormError): void;
}

export interface UrlencodedOptions {
  /**
   * Keep fields whose value is empty (`a=` or `a`). Default false for UrlencodedParser, as
   * cgi.FieldStorage; true for parseUrlencoded, as URLSearchParams.
   */
  keepBlankValues?: boolean;
  /** See DEFAULT_URLENCODED_LIMITS; each is checked before the byte that would break it is accepted. */
  limits?: Partial<UrlencodedLimits>;
}

// --- States and byte classes ----------------------------------------------------------------------

const FIELD_START = 0; // before a field: "&" separators are skipped
const NAME = 1; //        the name, up to the first "=" or "&"
const VALUE = 2; //       the value, up to "&"
const DEAD = 3; //        after an error, until reset()

const AMPERSAND = 0x26;
const PERCENT = 0x25;
const PLUS = 0x2b;
const EQUALS = 0x3d;

/** What a part (name or value) needs to be decoded, collected from its bytes' classes. */
const HAS_PERCENT = 1;
const HAS_PLUS = 2;
const HAS_NON_ASCII = 4;
/** In parseAsciiText only: an escape of a byte past 0x7F, so the part is UTF-8 to decode. */
const HAS_UTF8_ESCAPE = 32;
/** The delimiters: class values at or above ENDS_PART end the part being scanned. */
const ENDS_PART = 8;
const EQUALS_SIGN = 8;
const AMPERSAND_SIGN = 16;

/** Byte classes in a name: "=" and "&" end it; "%", "+" and bytes past 0x7F flag it; others are 0. */
const NAME_CLASS = byteClasses(true);
/** In a value only "&" ends it: a second "=" is an ordinary byte. */
const VALUE_CLASS = byteClasses(false);

function byteClasses(equalsEnds: boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0x80; b < 256; b++) t[b] = HAS_NON_ASCII;
  t[PERCENT] = HAS_PERCENT;
  t[PLUS] = HAS_PLUS;
  t[AMPERSAND] = AMPERSAND_SIGN;
  if (equalsEnds) t[EQUALS] = EQUALS_SIGN;
  return t;
}

/**
 * The smallest carry buffer (V8 keeps a typed array this small on its own heap: cheap to make); it
 * grows by doubling up to what one field may hold.
 */
const MIN_CARRY_BYTES = 64;
/**
 * The carry keeps its text too up to this many bytes: enough for the short fields whose one
 * TextDecoder call would cost more than the rest of their parsing. Past it the field is decoded
 * from its bytes, and a field dripped in byte by byte builds no long chain of string pieces.
 */
const MAX_CARRY_TEXT_BYTES = 1024;
/** Up to this many bytes, the carry is filled by a loop rather than through a view of the chunk. */
const SHORT_COPY = 64;
/** Decoding scratch kept between fields; a larger field decodes into a buffer of its own. */
const MAX_KEPT_SCRATCH_BYTES = 64 * 1024;

/** Where fields not copied into the carry are decoded: no field decode calls out, so one serves all. */
let scratch = new Uint8Array(1024);

const EMPTY = new Uint8Array(0);

/** Chunk text that was not decoded yet, or could not be (not 1:1 with the bytes). */
const HINT_UNKNOWN = 0;
const HINT_NONE = 1;
const HINT_READY = 2;

// --- The parser -----------------------------------------------------------------------------------

export class UrlencodedParser {
  readonly limits: UrlencodedLimits;
  readonly keepBlankValues: boolean;
  /** The sticky error, or null. */
  error: FormError | null = null;
  /** The fields so far, when the parser has no sink; a new map after reset(). */
  fields: FieldMap = emptyFieldMap();
  private readonly sink: UrlencodedSink | null;

  private state = FIELD_START;
  /** Bytes consumed since the last reset(). */
  private consumed = 0;
  /** Fields begun, each counted at its first byte. */
  private fieldCount = 0;
  /** Body offsets of the current field's first byte and of its "=" (-1 before one). */
  private fieldOrigin = 0;
  private equalsAt = -1;
  /** The decoding flags of the current field's name, and of the part being scanned. */
  private nameFlags = 0;
  private flags = 0;
  /** The current field's bytes from earlier chunks. */
  private carry: Uint8Array | null = null;
  private carryLength = 0;
  /** The carry's bytes as text, 1:1, while they are all ASCII: so they need no decoding. */
  private carryText = '';
  private carryIsText = false;

  // The chunk being executed: its bytes' body offset at position 0, and its text when that is known
  // to be 1:1 with its bytes (ASCII), text index = chunk position + hintOffset.
  private origin = 0;
  private chunkStart = 0;
  private chunkEnd = 0;
  private chunkBuf: Uint8Array = EMPTY;
  private hint = '';
  private hintOffset = 0;
  private hintState = HINT_UNKNOWN;

  /** Fields go to `sink`, or into `fields` when it is null. */
  constructor(sink: UrlencodedSink | null = null, options: UrlencodedOptions = {}) {
    this.sink = sink;
    this.keepBlankValues = options.keepBlankValues ?? false;
    this.limits = options.limits === undefined ? DEFAULT_URLENCODED_LIMITS : resolveUrlencodedLimits(options.limits);
  }

  /** Forgets everything, including a sticky error and the fields collected, to parse a new body. */
  reset(): void {
    this.state = FIELD_START;
    this.error = null;
    this.consumed = 0;
    this.fieldCount = 0;
    this.equalsAt = -1;
    this.carry = null;
    this.carryLength = 0;
    this.carryText = '';
    if (this.sink === null) this.fields = emptyFieldMap();
  }

  /**
   * Parses buf[start, end). Returns the number of bytes consumed: all of them, unless a limit
   * refused one (see `error`).
   */
  execute(buf: Uint8Array, start = 0, end = buf.length): number {
    if (this.error !== null) return 0;
    this.hintState = HINT_UNKNOWN;
    const consumed = this.run(buf, start, end, false);
    // Nothing of the caller's chunk is kept: its bytes may be reused.
    this.chunkBuf = EMPTY;
    this.hint = '';
    return consumed;
  }

  /**
   * Parses a whole body given as text: its UTF-8 bytes (a lone surrogate is U+FFFD, as TextEncoder
   * and URLSearchParams make it) as execute() would take them, then finish(). The text is encoded
   * a piece at a time into a bounded scratch, and a field of pure ASCII is sliced from it directly.
   * Returns what finish() returns.
   */
  parseText(text: string): boolean {
    if (this.error !== null) return false;
    const bytes = textScratchInUse ? new Uint8Array(3 * TEXT_PIECE_CHARS) : textScratch;
    const shared = bytes === textScratch;
    if (shared) textScratchInUse = true;
    try {
      for (let from = 0; from < text.length && this.error === null; ) {
        let to = Math.min(text.length, from + TEXT_PIECE_CHARS);
        // Never between the two halves of a surrogate pair: each would become U+FFFD.
        if (to < text.length && isHighSurrogate(text.charCodeAt(to - 1))) to--;
        const piece = from === 0 && to === text.length ? text : text.slice(from, to);
        const { written } = encoder.encodeInto(piece, bytes);
        // Only ASCII encodes one byte per code unit: then the text is the bytes' own.
        this.hint = text;
        this.hintOffset = from;
        this.hintState = written === to - from ? HINT_READY : HINT_NONE;
        this.run(bytes, 0, written, to === text.length);
        from = to;
      }
    } finally {
      if (shared) textScratchInUse = false;
      this.chunkBuf = EMPTY;
      this.hint = '';
    }
    return this.finish();
  }

  /**
   * Parses a whole body held as bytes, buf[start, end), then finish(): as execute() and finish()
   * would, but the last field is read in place rather than carried over for a chunk that will not
   * come. Returns what finish() returns.
   */
  parseBytes(buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.error !== null) return false;
    this.hintState = HINT_UNKNOWN;
    try {
      this.run(buf, start, end, true);
    } finally {
      this.chunkBuf = EMPTY;
      this.hint = '';
    }
    return this.finish();
  }

  /**
   * Declares the end of the body: the field in progress, if any, is whole. True unless the body
   * was refused. Call reset() before parsing another body.
   */
  finish(): boolean {
    if (this.error !== null) return false;
    if (this.state === NAME || this.state === VALUE) {
      this.origin = this.consumed;
      this.hintState = HINT_NONE;
      this.emit(EMPTY, 0, 0);
      this.state = FIELD_START;
    }
    return true;
  }

  /** Parses buf[start, end); `last` when the body ends there (its last field needs no carry). */
  private run(buf: Uint8Array, start: number, end: number, last: boolean): number {
    const origin = this.consumed - start;
    this.origin = origin;
    this.chunkBuf = buf;
    this.chunkStart = start;
    this.chunkEnd = end;
    const limits = this.limits;
    // Locals, not module bindings, in the byte loops.
    const nameClass = NAME_CLASS;
    const valueClass = VALUE_CLASS;
    let state = this.state;
    let flags = this.flags;
    let p = start;
    // Where the current field's bytes begin in this chunk (before `start`: in the carry).
    let fieldFrom = start;

    scan: while (p < end) {
      switch (state) {
        case FIELD_START: {
          while (p < end && buf[p] === AMPERSAND) p++;
          if (p === end) break scan;
          if (this.fieldCount >= limits.maxFields) {
            this.fail(FormErrorCode.TOO_MANY_FIELDS, `more than ${limits.maxFields} fields (maxFields)`, origin + p);
            break scan;
          }
          this.fieldCount++;
          this.fieldOrigin = origin + p;
          this.equalsAt = -1;
          fieldFrom = p;
          flags = 0;
          state = NAME;
        }
        // falls through
        case NAME: {
          // The byte at maxFieldNameBytes from the field's start may only end the name.
          const stop = Math.min(end, this.fieldOrigin + limits.maxFieldNameBytes - origin);
          let c = 0;
          for (; p < stop; p++) {
            c = nameClass[buf[p]!]!;
            if (c !== 0) {
              if (c >= ENDS_PART) break;
              flags |= c;
            }
          }
          if (p === stop) {
            if (p === end) break scan;
            c = nameClass[buf[p]!]!;
            if (c < ENDS_PART) {
              this.fail(FormErrorCode.FIELD_TOO_LARGE, `a field name is longer than ${limits.maxFieldNameBytes} bytes (maxFieldNameBytes)`, origin + p);
              break scan;
            }
          }
          if (c === AMPERSAND_SIGN) {
            this.flags = flags;
            this.emit(buf, fieldFrom, p);
            state = FIELD_START;
            p++;
            continue;
          }
          this.nameFlags = flags;
          flags = 0;
          this.equalsAt = origin + p;
          state = VALUE;
          p++;
        }
        // falls through
        case VALUE: {
          const stop = Math.min(end, this.equalsAt + 1 + limits.maxFieldBytes - origin);
          for (; p < stop; p++) {
            const c = valueClass[buf[p]!]!;
            if (c !== 0) {
              if (c === AMPERSAND_SIGN) break;
              flags |= c;
            }
          }
          if (p === stop) {
            if (p === end) break scan;
            if (buf[p] !== AMPERSAND) {
              this.fail(FormErrorCode.FIELD_TOO_LARGE, `a field value is longer than ${limits.maxFieldBytes} bytes (maxFieldBytes)`, origin + p);
              break scan;
            }
          }
          this.flags = flags;
          this.emit(buf, fieldFrom, p);
          state = FIELD_START;
          p++;
          continue;
        }
        default:
          // DEAD: execute() returns before it gets here.
          break scan;
      }
    }

    if (this.error !== null) {
      this.consumed = origin + p;
      return p - start;
    }
    this.flags = flags;
    if (state !== FIELD_START) {
      if (last) {
        this.emit(buf, fieldFrom, end);
        state = FIELD_START;
      } else {
        // A field still open at the end of the chunk is kept for the next one.
        const partFlags = state === VALUE ? this.nameFlags | flags : flags;
        this.keep(buf, Math.max(fieldFrom, start), end, (partFlags & HAS_NON_ASCII) === 0);
      }
    }
    this.state = state;
    this.consumed = origin + end;
    return end - start;
  }

  /**
   * Appends buf[from, to) to the carry, growing it up to what one field may hold; and its text,
   * while the field is `ascii` and the chunk's text is at hand.
   */
  private keep(buf: Uint8Array, from: number, to: number, ascii: boolean): void {
    if (this.carryLength === 0) {
      this.carryText = '';
      this.carryIsText = true;
    }
    const length = this.carryLength + (to - from);
    if (this.carryIsText) {
      if (ascii && length <= MAX_CARRY_TEXT_BYTES && (from === to || this.hintState === HINT_READY || this.chunkText())) {
        this.carryText += this.hint.slice(from + this.hintOffset, to + this.hintOffset);
      } else {
        this.carryIsText = false;
        this.carryText = '';
      }
    }
    if (this.carry === null || this.carry.length < length) {
      const most = this.limits.maxFieldNameBytes + 1 + this.limits.maxFieldBytes;
      const grown = new Uint8Array(Math.max(length, Math.min(Math.max(MIN_CARRY_BYTES, 2 * length), most)));
      if (this.carry !== null) grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    const carry = this.carry;
    if (to - from <= SHORT_COPY) {
      // A view costs more to make than a few bytes cost to copy.
      for (let i = from, at = this.carryLength; i < to; i++, at++) carry[at] = buf[i]!;
    } else {
      carry.set(buf.subarray(from, to), this.carryLength);
    }
    this.carryLength = length;
  }

  /**
   * The current field ends at chunk position `to` (its "&", or the end of the body); its bytes in
   * this chunk start at `from`. Decodes it, unless its value is blank and blanks are dropped, and
   * hands it over. The flags of the part scanned last (the value, or a name without "=") are in
   * `this.flags`; a name's before "=" in `this.nameFlags`.
   */
  private emit(buf: Uint8Array, from: number, to: number): void {
    const origin = this.origin;
    const fieldOrigin = this.fieldOrigin;
    const equalsAt = this.equalsAt;
    let source = buf;
    // Body offset of source[0].
    let base = origin;
    const nameFlags = equalsAt < 0 ? this.flags : this.nameFlags;
    if (this.carryLength > 0) {
      this.keep(buf, from, to, ((nameFlags | (equalsAt < 0 ? 0 : this.flags)) & HAS_NON_ASCII) === 0);
      source = this.carry!;
      base = fieldOrigin;
      this.carryLength = 0;
    }
    const end = origin + to - base;
    const nameEnd = (equalsAt < 0 ? origin + to : equalsAt) - base;
    const valueStart = equalsAt + 1 - base;
    // A value is blank exactly when it has no bytes: every byte decodes to at least one character.
    const blank = equalsAt < 0 || valueStart === end;
    let name = '';
    let value = '';
    if (!blank || this.keepBlankValues) {
      name = this.decode(source, fieldOrigin - base, nameEnd, nameFlags);
      if (!blank) value = this.decode(source, valueStart, end, this.flags);
    }
    this.carryText = '';
    if (!blank || this.keepBlankValues) this.deliver(name, value);
  }

  private deliver(name: string, value: string): void {
    if (this.sink !== null) {
      this.sink.onField(name, value);
      return;
    }
    const fields = this.fields;
    const list = fields[name];
    if (list === undefined) fields[name] = [value];
    else list.push(value);
  }

  /** Decodes source[start, end), a name or a value, as its flags say it needs. */
  private decode(source: Uint8Array, start: number, end: number, flags: number): string {
    if (start === end) return '';
    const inChunk = source !== this.carry;
    if ((flags & HAS_NON_ASCII) === 0) {
      // ASCII: read from the text, the chunk's or the carry's, when it is at hand.
      let text: string | null = null;
      let at = 0;
      if (!inChunk) {
        if (this.carryIsText) text = this.carryText;
      } else if (this.hintState === HINT_READY || this.chunkText()) {
        text = this.hint;
        at = this.hintOffset;
      }
      if (text !== null) {
        if (flags === 0) return text.slice(start + at, end + at);
        const decoded = percentDecodeAscii(text, start + at, end + at);
        if (decoded !== null) return decoded;
      }
    }
    if ((flags & (HAS_PERCENT | HAS_PLUS)) === 0) return utf8Decode(source, start, end);
    // The carry is the parser's own: decoded in place (the output is never longer). Else scratch.
    let out = source;
    let at = start;
    if (inChunk) {
      const length = end - start;
      if (length > scratch.length) {
        const grown = new Uint8Array(Math.max(length, 2 * scratch.length));
        if (grown.length <= MAX_KEPT_SCRATCH_BYTES) scratch = grown;
        out = grown;
      } else {
        out = scratch;
      }
      at = 0;
    }
    const n = percentDecodeBytes(source, start, end, true, out, at);
    return utf8Decode(out, at, at + n);
  }

  /**
   * Whether the chunk's text is at hand, 1:1 with its bytes: decoded once per chunk, at the first
   * field that can use it. A chunk with bytes past 0x7F has none (its fields decode one by one).
   */
  private chunkText(): boolean {
    if (this.hintState === HINT_UNKNOWN) {
      const start = this.chunkStart;
      const end = this.chunkEnd;
      const text = utf8Decode(this.chunkBuf, start, end);
      // Every byte decodes to at most one code unit, and a multi-byte sequence to fewer than its
      // bytes: as many units as bytes means every byte was one ASCII character (or an invalid
      // byte's U+FFFD, which no field read from the text contains: those carry HAS_NON_ASCII).
      this.hintState = text.length === end - start ? HINT_READY : HINT_NONE;
      this.hint = text;
      this.hintOffset = -start;
    }
    return this.hintState === HINT_READY;
  }

  /** Makes `code` the sticky error, refusing the byte at body offset `offset`. */
  private fail(code: FormErrorCode, message: string, offset: number): void {
    this.error = new FormError(code, message, offset);
    this.state = DEAD;
    this.carry = null;
    this.carryLength = 0;
    this.carryText = '';
    this.sink?.onError?.(this.error);
  }
}

const encoder = new TextEncoder();
/** Code units of text encoded at a time by parseText: its scratch is three bytes per unit. */
const TEXT_PIECE_CHARS = 16 * 1024;
/** parseText's scratch; a sink that parses text inside onField gets a buffer of its own. */
const textScratch = new Uint8Array(3 * TEXT_PIECE_CHARS);
let textScratchInUse = false;

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Parses a whole query string or urlencoded body (without a leading "?"). Blank values are kept by
 * default, as URLSearchParams keeps them. Over a limit (DEFAULT_URLENCODED_LIMITS unless
 * `options.limits` says otherwise) it throws the FormError.
 */
export function parseUrlencoded(text: string, options: UrlencodedOptions = {}): FieldMap {
  const keepBlankValues = options.keepBlankValues ?? true;
  const limits = options.limits === undefined ? DEFAULT_URLENCODED_LIMITS : resolveUrlencodedLimits(options.limits);
  const fields = parseAsciiText(text, keepBlankValues, limits);
  if (fields !== null) return fields;
  const parser = new UrlencodedParser(null, { keepBlankValues, limits });
  if (!parser.parseText(text)) throw parser.error!;
  return parser.fields;
}

/**
 * Parses a whole body held as bytes (a request body read in full), as parseUrlencoded parses text.
 * Over a limit it throws the FormError.
 */
export function parseUrlencodedBytes(bytes: Uint8Array, options: UrlencodedOptions = {}): FieldMap {
  const keepBlankValues = options.keepBlankValues ?? true;
  const limits = options.limits === undefined ? DEFAULT_URLENCODED_LIMITS : resolveUrlencodedLimits(options.limits);
  if (bytes.length <= MAX_TEXT_FIRST_BYTES) {
    // Decoded once: as many code units as bytes means every byte was ASCII (see chunkText()).
    const text = utf8Decode(bytes, 0, bytes.length);
    const fields = text.length === bytes.length ? parseAsciiText(text, keepBlankValues, limits) : null;
    if (fields !== null) return fields;
  }
  const parser = new UrlencodedParser(null, { keepBlankValues, limits });
  if (!parser.parseBytes(bytes)) throw parser.error!;
  return parser.fields;
}

/**
 * Up to this many bytes, parseUrlencodedBytes tries the body as ASCII text first: one decode, then
 * the string fast path. Larger bodies (uploads of form data) go to the byte parser directly, so a
 * body that turns out not to be ASCII is not decoded twice.
 */
const MAX_TEXT_FIRST_BYTES = 64 * 1024;

/**
 * The common case of parseUrlencoded, read straight from the string: text of ASCII only, within
 * every limit. For ASCII a code unit is a byte, so the limits count the same as the parser's and
 * a field without "%" or "+" is a slice of the text. Null as soon as the text needs more — a
 * character past 0x7F (its bytes are UTF-8) or a limit crossed (the parser reports it, with its
 * offset) — and the caller starts over with the byte parser; nothing was handed out by then.
 */
function parseAsciiText(text: string, keepBlankValues: boolean, limits: UrlencodedLimits): FieldMap | null {
  const fields = emptyFieldMap();
  const length = text.length;
  let count = 0;
  let p = 0;
  while (p < length) {
    if (text.charCodeAt(p) === AMPERSAND) {
      p++;
      continue;
    }
    if (++count > limits.maxFields) return null;
    const nameStart = p;
    let nameFlags = 0;
    let c = 0;
    for (; p < length; p++) {
      c = text.charCodeAt(p);
      if (c === EQUALS || c === AMPERSAND) break;
      if (c === PERCENT) nameFlags |= escapeFlags(text, p);
      else if (c === PLUS) nameFlags |= HAS_PLUS;
      else if (c > 0x7f) return null;
    }
    const nameEnd = p;
    if (nameEnd - nameStart > limits.maxFieldNameBytes) return null;
    let valueStart = p;
    let valueFlags = 0;
    if (p < length && c === EQUALS) {
      valueStart = ++p;
      for (; p < length; p++) {
        c = text.charCodeAt(p);
        if (c === AMPERSAND) break;
        if (c === PERCENT) valueFlags |= escapeFlags(text, p);
        else if (c === PLUS) valueFlags |= HAS_PLUS;
        else if (c > 0x7f) return null;
      }
      if (p - valueStart > limits.maxFieldBytes) return null;
    }
    // p is at the "&" that ends the field, or at the end of the text.
    const blank = valueStart === p;
    if (blank && !keepBlankValues) continue;
    const name = decodeAsciiPart(text, nameStart, nameEnd, nameFlags);
    const value = blank ? '' : decodeAsciiPart(text, valueStart, p, valueFlags);
    const list = fields[name];
    if (list === undefined) fields[name] = [value];
    else list.push(value);
  }
  return fields;
}

/**
 * A "%" at text[p]: HAS_PERCENT, and HAS_UTF8_ESCAPE too when its first digit makes a byte past
 * 0x7F ("%80" to "%FF"), which only the UTF-8 decoder can read. Past the part's end the digit is
 * "&", "=" or nothing, none of them 8-9, A-F or a-f.
 */
function escapeFlags(text: string, p: number): number {
  const digit = text.charCodeAt(p + 1) | 0x20;
  return (digit >= 0x38 && digit <= 0x39) || (digit >= 0x61 && digit <= 0x66) ? HAS_PERCENT | HAS_UTF8_ESCAPE : HAS_PERCENT;
}

/** text[start, end) of ASCII decoded as a name or value: a slice when it has no "%" or "+". */
function decodeAsciiPart(text: string, start: number, end: number, flags: number): string {
  if (flags === 0) return text.slice(start, end);
  if ((flags & HAS_UTF8_ESCAPE) !== 0) return percentDecodeAsciiToUtf8(text, start, end);
  return percentDecodeAscii(text, start, end) ?? percentDecodeAsciiToUtf8(text, start, end);
}
