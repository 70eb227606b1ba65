/**
 * The incremental HTTP/1.x request parser (RFC 9112).
 *
 * Push contract: `execute(chunk, start, end)` takes bytes exactly as a socket delivers them, split
 * anywhere, and returns how many it consumed. Events go to a sink: `onRequestHead`, `onBody` with
 * views into the caller's chunk, `onTrailers`, `onMessageComplete`. A sink method that returns
 * `true` pauses the parser: `execute` returns early and the caller hands the unread tail back later.
 * Incomplete input is never an error. An error is sticky until `reset()`, never thrown, and records
 * the byte offset where parsing stopped.
 *
 * Zero-copy: a head that arrives in one chunk is recorded as offsets into that chunk. A head that
 * straddles chunks is copied once into a carry buffer, bounded by the limits, and scanning resumes
 * at the first new byte: feeding a head one byte at a time costs O(n). Body bytes are never copied.
 *
 * Line endings are strictly CRLF: a bare LF or a bare CR anywhere in the framing is refused with
 * 400. RFC 9112 §2.2 lets a recipient accept a bare LF, but parsers that disagree on line endings
 * are how requests get smuggled past a proxy, and no conforming client sends one.
 *
 * This module imports nothing from `node:`: it works on any Uint8Array.
 */
import { CR, HEX_VALUE, FIELD_VALUE, HTAB, LF, SEMICOLON, SP, TARGET, TOKEN, COLON, QDTEXT, QUOTED_PAIR, DQUOTE, BACKSLASH, EQUALS } from './chars.js';
import { ErrorCode, SealError } from './errors.js';
import { Fields, RequestHead } from './head.js';
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from './limits.js';
import { analyzeHead } from './semantics.js';

export interface RequestSink {
  /** A complete, valid request head. Return true to pause before its body. */
  onRequestHead(head: RequestHead): boolean | void;
  /** Body bytes `buf[start, end)`, after transfer decoding; a view, never a copy. Return true to pause. */
  onBody(buf: Uint8Array, start: number, end: number): boolean | void;
  /** The trailer fields of a chunked body, when it has any. */
  onTrailers?(trailers: Fields): void;
  /** The end of the current request. Return true to pause before the next one. */
  onMessageComplete(): boolean | void;
}

// States, named for their place in the grammar of RFC 9112. The ones up to LAST_SECTION_STATE
// scan a head or a trailer section and may be carried across chunks; the rest frame a body.
const REQ_START = 0; //                  before a request line; empty lines (CRLF) are skipped (§2.2)
const REQ_START_LF = 1; //               the LF of such an empty line
const REQ_METHOD = 2; //                 method = token
const REQ_TARGET_START = 3; //           first byte of request-target, after one SP
const REQ_TARGET = 4; //                 request-target
const REQ_VERSION = 5; //                HTTP-version = "HTTP/" DIGIT "." DIGIT, then CR
const REQ_LINE_LF = 6; //                the LF ending the request line
const FIELD_START = 7; //                a field line, or the CR of the empty line ending the section
const FIELD_NAME = 8; //                 field-name = token, up to ":"
const FIELD_VALUE_START = 9; //          OWS before the value
const FIELD_VALUE_BYTES = 10; //         field-value, up to CR
const FIELD_LF = 11; //                  the LF ending a field line
const SECTION_LF = 12; //                the LF ending the section
const LAST_SECTION_STATE = SECTION_LF;
const BODY_IDENTITY = 13; //             Content-Length bytes of body
const CHUNK_SIZE_START = 14; //          chunk-size = 1*HEXDIG
const CHUNK_SIZE = 15;
const CHUNK_EXT_BWS = 16; //             BWS after the size or a complete extension: only ";" may follow
const CHUNK_EXT_NAME_START = 17; //      after ";": BWS, then chunk-ext-name = token
const CHUNK_EXT_NAME = 18;
const CHUNK_EXT_BWS_AFTER_NAME = 19; //  BWS after an extension name, before "=" or ";"
const CHUNK_EXT_VALUE_START = 20; //     after "=": BWS, then token or quoted-string
const CHUNK_EXT_VALUE_TOKEN = 21;
const CHUNK_EXT_QUOTED = 22; //          inside a quoted-string
const CHUNK_EXT_QUOTED_PAIR = 23; //     after a backslash in a quoted-string
const CHUNK_EXT_AFTER_QUOTED = 24; //    after the closing quote: ";", BWS or CR
const CHUNK_SIZE_LF = 25; //             the LF ending the chunk-size line
const CHUNK_DATA = 26; //                chunk-data
const CHUNK_DATA_CR = 27; //             the CRLF after chunk-data
const CHUNK_DATA_LF = 28;
const DEAD = 29; //                      after an error, until reset()

/** "HTTP/" as bytes, matched one at a time so a version may straddle chunks. */
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];
/** 16^13 = 2^52: more significant hex digits than this cannot be a safe integer. */
const MAX_CHUNK_SIZE_DIGITS = 13;
const MIN_CARRY_BYTES = 1024;
/**
 * Where every parser gathers the field offsets of a section it scans within one `execute` call,
 * before the head takes an exact-size copy. Shared, so that an idle connection's parser holds no
 * scratch array, and safe to share: no sink method is called while a section is being scanned,
 * so no other parser can run in between. A section left for the next chunk moves to an array of
 * its parser's own. Its length grows to the largest section seen (bounded by maxHeaderFields).
 */
const SHARED_OFFSETS: number[] = [];
/**
 * A 32-bit view of a chunk is a typed array made per chunk; it pays for itself over a few hundred
 * bytes. A small chunk (a keep-alive client's whole request, say) is scanned byte by byte.
 */
const WORDS_MIN_REST = 256;

export class RequestParser {
  readonly limits: ParserLimits;
  private readonly sink: RequestSink;

  private state = REQ_START;
  private paused = false;
  /** The sticky error, or null. */
  error: SealError | null = null;
  /** Bytes consumed since the last reset(), for error offsets. */
  private consumed = 0;
  /** Stream offset of position 0 of the chunk being executed. */
  private chunkOrigin = 0;

  // The section being scanned (a head, or a trailer section). Positions are in "section
  // coordinates": offsets into the chunk while the section lies in one chunk, else into `carry`.
  private carry: Uint8Array | null = null;
  private carryLength = 0;
  /** Position past which the section exceeds its current limit. */
  private limitAt = 0;
  private inTrailers = false;
  /** Set when scanSection has seen a section's end: where the section began in the chunk, else -1. */
  private completedFrom = -1;
  /**
   * Four offsets a field line of the section being scanned (see Fields), in the first
   * `offsetCount` entries: SHARED_OFFSETS while the section is scanned within one call, an array
   * of this parser's own once it has to wait for the next chunk (keepSection).
   */
  private offsets: number[] = SHARED_OFFSETS;
  private offsetCount = 0;
  private methodStart = 0;
  private methodEnd = 0;
  private targetStart = 0;
  private targetEnd = 0;
  private versionIndex = 0;
  private versionMajor = 0;
  private versionMinor = 0;
  private nameStart = 0;
  private nameEnd = 0;
  private valueStart = 0;

  // The 32-bit view of the last chunk whose values were scanned by words (see skipFieldValue),
  // and how far that chunk's start lies past the word boundary before it (0-3). Kept with the view
  // because reading a Buffer's byteOffset is a call into the runtime, not a field load.
  private wordsOf: Uint8Array | null = null;
  private words: Int32Array | null = null;
  private wordsSkew = 0;

  // Body framing.
  private remaining = 0;
  private chunkSizeDigits = 0;
  private chunkLineBytes = 0;

  constructor(sink: RequestSink, limits: ParserLimits = DEFAULT_PARSER_LIMITS) {
    this.sink = sink;
    this.limits = limits;
  }

  /** Forgets everything, including a sticky error, to parse a new stream. */
  reset(): void {
    this.state = REQ_START;
    this.paused = false;
    this.error = null;
    this.consumed = 0;
    this.carry = null;
    this.carryLength = 0;
    this.inTrailers = false;
    this.offsets = SHARED_OFFSETS;
    this.offsetCount = 0;
    this.remaining = 0;
  }

  /** True when the parser is between requests: nothing of a next request has been seen. */
  get idle(): boolean {
    return this.state === REQ_START && this.error === null;
  }

  /** True while inside a request's body. */
  get inBody(): boolean {
    return this.state > LAST_SECTION_STATE && this.state !== DEAD;
  }

  /** Body bytes still to come for a Content-Length body; -1 for a chunked one; 0 between bodies. */
  get bodyRemaining(): number {
    if (this.state === BODY_IDENTITY) return this.remaining;
    if (this.state > LAST_SECTION_STATE && this.state !== DEAD) return -1;
    if (this.inTrailers) return -1;
    return 0;
  }

  /**
   * Parses buf[start, end). Returns the number of bytes consumed: all of them, unless a sink
   * method paused the parser (call again with the rest) or an error was found (see `error`).
   */
  execute(buf: Uint8Array, start = 0, end = buf.length): number {
    if (this.error !== null) return 0;
    this.paused = false;
    this.chunkOrigin = this.consumed - start;
    let p = start;
    while (p < end && !this.paused && this.error === null) {
      const state = this.state;
      if (state <= LAST_SECTION_STATE) {
        if (state === REQ_START && this.carry === null) {
          // Most heads arrive whole, in one chunk, and plain: scanned in one pass, without states.
          const after = this.scanWholeHead(buf, p, end);
          if (after > 0) {
            p = this.completeSection(buf, p, after);
            continue;
          }
        }
        p = this.scanSection(buf, p, end);
        const from = this.completedFrom;
        if (from >= 0) {
          this.completedFrom = -1;
          p = this.completeSection(buf, from, p);
        }
      } else if (state === BODY_IDENTITY) p = this.readIdentityBody(buf, p, end);
      else p = this.readChunked(buf, p, end);
    }
    this.consumed += p - start;
    return p - start;
  }

  /**
   * Lets go of the last chunk executed (the parser keeps a 32-bit view of it for the next call
   * on the same chunk). For the caller to say when no more of it will come: a connection that
   * has used up its input and waits for the next chunk need not keep the last one alive.
   */
  releaseInput(): void {
    this.wordsOf = null;
    this.words = null;
  }

  /**
   * Declares the end of input. Returns true when it came between requests; otherwise the
   * message was cut short, which becomes the sticky INCOMPLETE_MESSAGE error.
   */
  finish(): boolean {
    if (this.error !== null) return false;
    if (this.state === REQ_START) return true;
    this.chunkOrigin = this.consumed;
    this.fail(ErrorCode.INCOMPLETE_MESSAGE, 'the input ended inside a request', 0);
    return false;
  }

  /** Makes `code` the sticky error; `p` is the position in the current chunk where parsing stopped. */
  private fail(code: ErrorCode, message: string, p: number): void {
    this.error = new SealError(code, message, this.chunkOrigin + p);
    this.state = DEAD;
    this.carry = null;
  }

  // --- Sections: the head, or the trailer section ---------------------------------------------

  /**
   * Scans section bytes from buf[pos, end). Positions are recorded as `p + delta` so that they
   * land in section coordinates whether the section lives in this chunk or in the carry buffer.
   */
  private scanSection(buf: Uint8Array, pos: number, end: number): number {
    const carried = this.carry !== null;
    const delta = carried ? this.carryLength - pos : 0;
    if (!carried) {
      // A section not carried over starts in this chunk, right here.
      this.limitAt = pos + (this.inTrailers ? this.limits.maxTrailerBytes : this.limits.maxRequestLineBytes);
    }
    const offsets = this.offsets;
    // The byte table in a local: a module binding is loaded again on every byte of the loops.
    const token = TOKEN;
    let limit = Math.min(end, this.limitAt - delta);
    let state = this.state;
    let p = pos;

    scan: for (;;) {
      switch (state) {
        case REQ_START: {
          if (p >= limit) break scan;
          const b = buf[p]!;
          if (b === CR) {
            state = REQ_START_LF;
            p++;
            continue;
          }
          if (!token[b]) return this.failAt(b === LF ? ErrorCode.BARE_LF : ErrorCode.INVALID_METHOD, p);
          this.methodStart = p + delta;
          state = REQ_METHOD;
          p++;
        }
        // falls through
        case REQ_METHOD: {
          while (p < limit && token[buf[p]!]) p++;
          if (p >= limit) break scan;
          if (buf[p] !== SP) return this.failAt(ErrorCode.INVALID_METHOD, p);
          this.methodEnd = p + delta;
          state = REQ_TARGET_START;
          p++;
        }
        // falls through
        case REQ_TARGET_START: {
          if (p >= limit) break scan;
          if (!TARGET[buf[p]!]) return this.failAt(ErrorCode.INVALID_TARGET, p);
          this.targetStart = p + delta;
          state = REQ_TARGET;
          p++;
        }
        // falls through
        case REQ_TARGET: {
          p = this.skipTarget(buf, p, limit);
          if (p >= limit) break scan;
          if (buf[p] !== SP) return this.failAt(ErrorCode.INVALID_TARGET, p);
          this.targetEnd = p + delta;
          this.versionIndex = 0;
          state = REQ_VERSION;
          p++;
        }
        // falls through
        case REQ_VERSION: {
          // Fast path: a whole "HTTP/1.x" and its CR in this chunk, as nearly every request has.
          if (this.versionIndex === 0 && limit - p > 8 && isHttp1Prefix(buf, p) &&
              buf[p + 8] === CR && buf[p + 7]! >= 0x30 && buf[p + 7]! <= 0x39) {
            this.versionMajor = 1;
            this.versionMinor = buf[p + 7]! - 0x30;
            p += 8;
          } else for (;;) {
            if (p >= limit) break scan;
            const b = buf[p]!;
            const i = this.versionIndex;
            if (i < 5) {
              if (b !== HTTP_SLASH[i]) return this.failAt(ErrorCode.INVALID_VERSION, p);
            } else if (i === 5 || i === 7) {
              if (b < 0x30 || b > 0x39) return this.failAt(ErrorCode.INVALID_VERSION, p);
              if (i === 5) this.versionMajor = b - 0x30;
              else this.versionMinor = b - 0x30;
            } else if (i === 6) {
              if (b !== 0x2e) return this.failAt(ErrorCode.INVALID_VERSION, p);
            } else {
              if (b === CR) break;
              return this.failAt(b === LF ? ErrorCode.BARE_LF : ErrorCode.INVALID_VERSION, p);
            }
            this.versionIndex = i + 1;
            p++;
          }
          state = REQ_LINE_LF;
          p++;
        }
        // falls through
        case REQ_LINE_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(ErrorCode.BARE_CR, p);
          // RFC 9112 §2.3: a well-formed version we do not speak is 505, not 400.
          if (this.versionMajor !== 1 || this.versionMinor > 1) {
            return this.failAt(ErrorCode.UNSUPPORTED_VERSION, p);
          }
          p++;
          // The field section is bounded on its own, from here.
          this.limitAt = p + delta + this.limits.maxHeaderBytes;
          limit = Math.min(end, this.limitAt - delta);
          state = FIELD_START;
        }
        // falls through
        case FIELD_START: {
          if (p >= limit) break scan;
          const b = buf[p]!;
          if (b === CR) {
            state = SECTION_LF;
            p++;
            continue;
          }
          if (!token[b]) {
            // RFC 9112 §5.2: obs-fold is refused with 400; so is whitespace before the first field (§2.2).
            if (b === SP || b === HTAB) {
              return this.failAt(this.offsetCount > 0 ? ErrorCode.OBSOLETE_LINE_FOLDING : ErrorCode.INVALID_HEADER_NAME, p);
            }
            return this.failAt(b === LF ? ErrorCode.BARE_LF : ErrorCode.INVALID_HEADER_NAME, p);
          }
          this.nameStart = p + delta;
          state = FIELD_NAME;
          p++;
        }
        // falls through
        case FIELD_NAME: {
          while (p < limit && token[buf[p]!]) p++;
          if (p >= limit) break scan;
          const b = buf[p]!;
          if (b !== COLON) {
            // RFC 9112 §5.1: no whitespace between field name and colon; MUST respond 400.
            const code = b === SP || b === HTAB ? ErrorCode.WHITESPACE_BEFORE_COLON : ErrorCode.INVALID_HEADER_NAME;
            return this.failAt(code, p);
          }
          this.nameEnd = p + delta;
          state = FIELD_VALUE_START;
          p++;
        }
        // falls through
        case FIELD_VALUE_START: {
          while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
          if (p >= limit) break scan;
          this.valueStart = p + delta;
          state = FIELD_VALUE_BYTES;
        }
        // falls through
        case FIELD_VALUE_BYTES: {
          p = this.skipFieldValue(buf, p, limit);
          if (p >= limit) break scan;
          const b = buf[p]!;
          if (b !== CR) {
            return this.failAt(b === LF ? ErrorCode.BARE_LF : ErrorCode.INVALID_HEADER_VALUE, p);
          }
          const n = this.offsetCount;
          offsets[n] = this.nameStart;
          offsets[n + 1] = this.nameEnd;
          offsets[n + 2] = this.valueStart;
          offsets[n + 3] = p + delta;
          this.offsetCount = n + 4;
          state = FIELD_LF;
          p++;
        }
        // falls through
        case FIELD_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(ErrorCode.BARE_CR, p);
          if (this.offsetCount > this.limits.maxHeaderFields * 4) {
            return this.failAt(ErrorCode.TOO_MANY_HEADERS, p);
          }
          state = FIELD_START;
          p++;
          continue;
        }
        case REQ_START_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(ErrorCode.BARE_CR, p);
          state = REQ_START;
          p++;
          continue;
        }
        case SECTION_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(ErrorCode.BARE_CR, p);
          p++;
          this.state = state;
          // Completed by the caller: out here, the scanner's loop is compiled with the byte
          // scanners inlined, and the head's construction gets its own optimized code.
          this.completedFrom = pos;
          return p;
        }
        default:
          throw new Error('unreachable parser state');
      }
    }

    // The scan stopped at `limit` without completing the section.
    this.state = state;
    if (p < end) {
      const code =
        state <= REQ_LINE_LF ? ErrorCode.REQUEST_LINE_TOO_LONG : this.inTrailers ? ErrorCode.TRAILERS_TOO_LARGE : ErrorCode.HEADERS_TOO_LARGE;
      return this.failAt(code, p);
    }
    this.keepSection(buf, pos, end);
    return end;
  }

  /**
   * The common head in one pass: a request line of the form `token SP target SP HTTP/1.x CRLF`
   * and plain field lines, all of it in buf[pos, end), within the limits. Records what the
   * general scanner would and returns the position after the head; returns -1 for anything else
   * (the head goes on in the next chunk, a leading empty line, a limit reached, any byte the
   * grammar refuses), and the general scanner then scans the same bytes from the same state,
   * finding the error, or the head's end in a later chunk, exactly. It is tried only at the start
   * of a request, so no byte is scanned by it twice: a head fed a byte at a time stays O(n).
   */
  private scanWholeHead(buf: Uint8Array, pos: number, end: number): number {
    const token = TOKEN;
    const limits = this.limits;
    // Where the general scanner would stop on the limits; scanning past it here would be wasted.
    const stop = Math.min(end, pos + limits.maxRequestLineBytes + limits.maxHeaderBytes);
    let p = pos;
    while (p < stop && token[buf[p]!]) p++;
    const methodEnd = p;
    if (p === pos || p >= stop || buf[p] !== SP) return -1;
    const targetStart = ++p;
    p = this.skipTarget(buf, p, stop);
    const targetEnd = p;
    // SP "HTTP/1." DIGIT CR LF, with 0 or 1 for the digit (the general scanner answers others).
    if (p === targetStart || p + 11 > stop || buf[p] !== SP || !isHttp1Prefix(buf, p + 1) || buf[p + 9] !== CR || buf[p + 10] !== LF) {
      return -1;
    }
    const minor = buf[p + 8]! - 0x30;
    if (minor !== 0 && minor !== 1) return -1;
    p += 11;
    if (p - pos > limits.maxRequestLineBytes) return -1;
    const fieldsStart = p;
    const offsets = this.offsets;
    const maxOffsets = limits.maxHeaderFields * 4;
    let n = 0;
    for (;;) {
      if (p + 1 >= stop) return -1;
      if (buf[p] === CR) {
        if (buf[p + 1] !== LF) return -1;
        p += 2;
        break;
      }
      const nameStart = p;
      while (p < stop && token[buf[p]!]) p++;
      if (p === nameStart || p >= stop || buf[p] !== COLON) return -1;
      const nameEnd = p++;
      while (p < stop && (buf[p] === SP || buf[p] === HTAB)) p++;
      const valueStart = p;
      p = this.skipFieldValue(buf, p, stop);
      if (p + 1 >= stop || buf[p] !== CR || buf[p + 1] !== LF || n === maxOffsets) return -1;
      offsets[n] = nameStart;
      offsets[n + 1] = nameEnd;
      offsets[n + 2] = valueStart;
      offsets[n + 3] = p;
      n += 4;
      p += 2;
    }
    if (p - fieldsStart > limits.maxHeaderBytes) return -1;
    this.methodStart = pos;
    this.methodEnd = methodEnd;
    this.targetStart = targetStart;
    this.targetEnd = targetEnd;
    this.versionMajor = 1;
    this.versionMinor = minor;
    this.offsetCount = n;
    return p;
  }

  /**
   * Skips field-value bytes from p, returning the position of the first byte that is not one
   * (or end). Values are most of a head's bytes, so they are scanned a 32-bit word at a time:
   * a word with no byte below 0x20 and none equal to 0x7F holds only VCHAR, SP and obs-text,
   * all allowed. A word that fails (the CR at the end, an HTAB, a forbidden byte) is finished
   * byte by byte with the table, so the stopping position, and any error offset, stay exact.
   */
  private skipFieldValue(buf: Uint8Array, p: number, end: number): number {
    const fieldValue = FIELD_VALUE;
    if (end - p >= 16 && (buf === this.wordsOf || end - p >= WORDS_MIN_REST)) {
      p = this.alignWords(buf, p, fieldValue);
      if (!fieldValue[buf[p]!]) return p;
      const skew = this.wordsSkew;
      const words = this.words!;
      let i = (p + skew) >> 2;
      const stop = (end + skew) >> 2;
      for (; i < stop; i++) {
        const w = words[i]!;
        const del = w ^ 0x7f7f7f7f;
        // "has a byte < 0x20" | "has a byte == 0x7F" (the classic SWAR tests, exact for existence).
        if ((((w - 0x20202020) & ~w) | ((del - 0x01010101) & ~del)) & 0x80808080) break;
      }
      p = i * 4 - skew;
    }
    while (p < end && fieldValue[buf[p]!]) p++;
    return p;
  }

  /**
   * Skips request-target bytes (VCHAR but "#") from p, a word at a time like field values: a word
   * fails on a byte below 0x21, at or above 0x7F, or equal to "#".
   */
  private skipTarget(buf: Uint8Array, p: number, end: number): number {
    const target = TARGET;
    if (end - p >= 16 && (buf === this.wordsOf || end - p >= WORDS_MIN_REST)) {
      p = this.alignWords(buf, p, target);
      if (!target[buf[p]!]) return p;
      const skew = this.wordsSkew;
      const words = this.words!;
      let i = (p + skew) >> 2;
      const stop = (end + skew) >> 2;
      for (; i < stop; i++) {
        const w = words[i]!;
        const del = w ^ 0x7f7f7f7f;
        const hash = w ^ 0x23232323;
        if ((((w - 0x21212121) & ~w) | w | ((del - 0x01010101) & ~del) | ((hash - 0x01010101) & ~hash)) & 0x80808080) break;
      }
      p = i * 4 - skew;
    }
    while (p < end && target[buf[p]!]) p++;
    return p;
  }

  /**
   * Makes sure `words` views `buf`, then steps byte by byte (checking `table`) to a word boundary:
   * position p is at byte (p + wordsSkew) of the view. Returns the aligned position, or that of a
   * byte outside `table` before it.
   */
  private alignWords(buf: Uint8Array, p: number, table: Uint8Array): number {
    if (buf !== this.wordsOf) this.viewWords(buf);
    const skew = this.wordsSkew;
    while (((p + skew) & 3) !== 0) {
      if (!table[buf[p]!]) return p;
      p++;
    }
    return p;
  }

  /** A 32-bit view of `buf`'s memory from the 4-aligned address at or before its start. */
  private viewWords(buf: Uint8Array): void {
    const skew = buf.byteOffset & 3;
    const origin = buf.byteOffset - skew;
    this.wordsOf = buf;
    this.wordsSkew = skew;
    this.words = new Int32Array(buf.buffer, origin, (skew + buf.byteLength) >> 2);
  }

  private failAt(code: ErrorCode, p: number): number {
    this.fail(code, describe(code), p);
    return p;
  }

  /** Keeps buf[pos, end), the unfinished tail of a section, in the carry buffer. */
  private keepSection(buf: Uint8Array, pos: number, end: number): void {
    if (this.carry === null) {
      // The section started at `pos` in this chunk: rebase its positions to the carry's origin, in
      // an array of this parser's own (the shared one is another parser's in the next call).
      const offsets = (this.offsets = this.offsets.slice(0, this.offsetCount));
      for (let i = 0; i < offsets.length; i++) offsets[i]! -= pos;
      this.methodStart -= pos;
      this.methodEnd -= pos;
      this.targetStart -= pos;
      this.targetEnd -= pos;
      this.nameStart -= pos;
      this.nameEnd -= pos;
      this.valueStart -= pos;
      this.limitAt -= pos;
      this.carry = new Uint8Array(Math.max(MIN_CARRY_BYTES, 2 * (end - pos)));
      this.carryLength = 0;
    }
    this.appendToCarry(buf, pos, end);
  }

  private appendToCarry(buf: Uint8Array, pos: number, end: number): void {
    let carry = this.carry!;
    const needed = this.carryLength + (end - pos);
    if (needed > carry.length) {
      // Doubling keeps the total copying linear in the section's size.
      const grown = new Uint8Array(Math.max(needed, 2 * carry.length));
      grown.set(carry.subarray(0, this.carryLength));
      this.carry = carry = grown;
    }
    carry.set(buf.subarray(pos, end), this.carryLength);
    this.carryLength = needed;
  }

  /** The section ended at buf[p - 1]. Builds the head (or trailers) and moves on to the body. */
  private completeSection(buf: Uint8Array, pos: number, p: number): number {
    let sectionBuf = buf;
    if (this.carry !== null) {
      this.appendToCarry(buf, pos, p);
      sectionBuf = this.carry;
      // The head keeps this buffer; the next straddling section gets a new one.
      this.carry = null;
    }
    // The head gets an exact-size copy: nothing grows an array by pushes on the hot path.
    const offsets = this.offsets.slice(0, this.offsetCount);
    this.offsets = SHARED_OFFSETS;
    this.offsetCount = 0;

    if (this.inTrailers) {
      this.inTrailers = false;
      const trailers = new Fields(sectionBuf, offsets);
      if (trailers.length > 0) this.sink.onTrailers?.(trailers);
      this.completeMessage();
      return p;
    }

    const head = new RequestHead(sectionBuf, this.methodStart, this.methodEnd, this.targetStart, this.targetEnd, this.versionMinor, offsets);
    const refusal = analyzeHead(head);
    if (refusal !== null) {
      // The whole head was read; the offset points just past it.
      this.fail(refusal, describe(refusal), p);
      return p;
    }
    if (head.chunked) this.state = CHUNK_SIZE_START;
    else if (head.contentLength > 0) {
      this.state = BODY_IDENTITY;
      this.remaining = head.contentLength;
    } else this.state = REQ_START;

    if (this.sink.onRequestHead(head) === true) this.paused = true;
    // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body.
    if (this.state === REQ_START) this.completeMessage();
    return p;
  }

  private completeMessage(): void {
    this.state = REQ_START;
    if (this.sink.onMessageComplete() === true) this.paused = true;
  }

  // --- Bodies -----------------------------------------------------------------------------------

  private readIdentityBody(buf: Uint8Array, p: number, end: number): number {
    const n = Math.min(end - p, this.remaining);
    this.remaining -= n;
    if (this.sink.onBody(buf, p, p + n) === true) this.paused = true;
    if (this.remaining === 0) this.completeMessage();
    return p + n;
  }

  /** Chunked transfer coding, RFC 9112 §7.1. Framing bytes are few, so this goes byte by byte. */
  private readChunked(buf: Uint8Array, pos: number, end: number): number {
    let p = pos;
    while (p < end) {
      const b = buf[p]!;
      switch (this.state) {
        case CHUNK_SIZE_START: {
          const digit = HEX_VALUE[b]!;
          if (digit === 0xff) return this.failAt(ErrorCode.INVALID_CHUNK_SIZE, p);
          this.remaining = digit;
          this.chunkSizeDigits = digit === 0 ? 0 : 1;
          // This digit is counted with every other byte of the line, below.
          this.chunkLineBytes = 0;
          this.state = CHUNK_SIZE;
          break;
        }
        case CHUNK_SIZE: {
          const digit = HEX_VALUE[b]!;
          if (digit !== 0xff) {
            // Leading zeros do not count toward overflow; every byte counts toward the line limit.
            if (this.remaining > 0 || digit > 0) {
              if (++this.chunkSizeDigits > MAX_CHUNK_SIZE_DIGITS) return this.failAt(ErrorCode.CHUNK_SIZE_TOO_LARGE, p);
            }
            this.remaining = this.remaining * 16 + digit;
          } else if (b === CR) this.state = CHUNK_SIZE_LF;
          else if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b === SP || b === HTAB) this.state = CHUNK_EXT_BWS;
          else return this.failAt(b === LF ? ErrorCode.BARE_LF : ErrorCode.INVALID_CHUNK_SIZE, p);
          break;
        }
        // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )  (RFC 9112 §7.1.1)
        // BWS is allowed only where the grammar continues: before ";" or "=", never before the CR.
        case CHUNK_EXT_BWS: {
          if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b !== SP && b !== HTAB) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_NAME_START: {
          if (TOKEN[b]) this.state = CHUNK_EXT_NAME;
          else if (b !== SP && b !== HTAB) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_NAME: {
          if (TOKEN[b]) break;
          if (b === EQUALS) this.state = CHUNK_EXT_VALUE_START;
          else if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b === CR) this.state = CHUNK_SIZE_LF;
          else if (b === SP || b === HTAB) this.state = CHUNK_EXT_BWS_AFTER_NAME;
          else return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_BWS_AFTER_NAME: {
          if (b === EQUALS) this.state = CHUNK_EXT_VALUE_START;
          else if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b !== SP && b !== HTAB) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_VALUE_START: {
          if (b === DQUOTE) this.state = CHUNK_EXT_QUOTED;
          else if (TOKEN[b]) this.state = CHUNK_EXT_VALUE_TOKEN;
          else if (b !== SP && b !== HTAB) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_VALUE_TOKEN: {
          if (TOKEN[b]) break;
          if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b === CR) this.state = CHUNK_SIZE_LF;
          else if (b === SP || b === HTAB) this.state = CHUNK_EXT_BWS;
          else return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_QUOTED: {
          if (b === DQUOTE) this.state = CHUNK_EXT_AFTER_QUOTED;
          else if (b === BACKSLASH) this.state = CHUNK_EXT_QUOTED_PAIR;
          else if (!QDTEXT[b]) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_EXT_QUOTED_PAIR: {
          if (!QUOTED_PAIR[b]) return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          this.state = CHUNK_EXT_QUOTED;
          break;
        }
        case CHUNK_EXT_AFTER_QUOTED: {
          if (b === SEMICOLON) this.state = CHUNK_EXT_NAME_START;
          else if (b === CR) this.state = CHUNK_SIZE_LF;
          else if (b === SP || b === HTAB) this.state = CHUNK_EXT_BWS;
          else return this.failAt(ErrorCode.INVALID_CHUNK_EXTENSION, p);
          break;
        }
        case CHUNK_SIZE_LF: {
          if (b !== LF) return this.failAt(ErrorCode.BARE_CR, p);
          p++;
          if (this.remaining === 0) {
            // last-chunk: the trailer section follows, scanned like a head's fields.
            this.inTrailers = true;
            this.state = FIELD_START;
            return p;
          }
          this.state = CHUNK_DATA;
          return p;
        }
        case CHUNK_DATA: {
          const n = Math.min(end - p, this.remaining);
          this.remaining -= n;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          if (this.sink.onBody(buf, p, p + n) === true) this.paused = true;
          return p + n;
        }
        case CHUNK_DATA_CR: {
          if (b !== CR) return this.failAt(ErrorCode.INVALID_CHUNK_DELIMITER, p);
          this.state = CHUNK_DATA_LF;
          break;
        }
        case CHUNK_DATA_LF: {
          if (b !== LF) return this.failAt(ErrorCode.INVALID_CHUNK_DELIMITER, p);
          this.state = CHUNK_SIZE_START;
          break;
        }
        default:
          throw new Error('unreachable parser state');
      }
      p++;
      if (this.state >= CHUNK_SIZE && this.state <= CHUNK_EXT_AFTER_QUOTED) {
        if (++this.chunkLineBytes > this.limits.maxChunkExtensionBytes) {
          return this.failAt(ErrorCode.CHUNK_EXTENSION_TOO_LONG, p - 1);
        }
      }
    }
    return p;
  }
}

/** True when buf[p, p + 7) is "HTTP/1."; the caller has checked that those bytes are there. */
function isHttp1Prefix(buf: Uint8Array, p: number): boolean {
  return buf[p] === 0x48 && buf[p + 1] === 0x54 && buf[p + 2] === 0x54 && buf[p + 3] === 0x50 && buf[p + 4] === 0x2f &&
    buf[p + 5] === 0x31 && buf[p + 6] === 0x2e;
}

function describe(code: ErrorCode): string {
  return MESSAGES[code] ?? 'malformed request';
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  INVALID_METHOD: 'the method is not a token followed by one space',
  INVALID_TARGET: 'the request-target holds a byte it may not hold, or is not followed by one space',
  INVALID_TARGET_FORM: 'the request-target form does not fit the method',
  INVALID_VERSION: 'the HTTP version is not of the form HTTP/DIGIT.DIGIT',
  UNSUPPORTED_VERSION: 'only HTTP/1.0 and HTTP/1.1 are served',
  REQUEST_LINE_TOO_LONG: 'the request line is longer than the limit',
  BARE_CR: 'a CR not followed by LF',
  BARE_LF: 'a line ends in LF without CR',
  INVALID_HEADER_NAME: 'a field name is not a token',
  INVALID_HEADER_VALUE: 'a field value holds a control character',
  WHITESPACE_BEFORE_COLON: 'whitespace between a field name and its colon',
  OBSOLETE_LINE_FOLDING: 'obsolete line folding is not accepted',
  HEADERS_TOO_LARGE: 'the header section is larger than the limit',
  TOO_MANY_HEADERS: 'more header fields than the limit',
  MISSING_HOST: 'an HTTP/1.1 request without Host',
  DUPLICATE_HOST: 'more than one Host field',
  INVALID_HOST: 'the Host field is not a host and port',
  INVALID_CONTENT_LENGTH: 'Content-Length is not a decimal number',
  CONFLICTING_CONTENT_LENGTH: 'Content-Length fields disagree',
  CONTENT_LENGTH_AND_TRANSFER_ENCODING: 'both Content-Length and Transfer-Encoding',
  INVALID_TRANSFER_ENCODING: 'Transfer-Encoding is not a list of codings',
  CHUNKED_NOT_FINAL: 'chunked is not the final transfer coding',
  TRANSFER_ENCODING_IN_HTTP_1_0: 'Transfer-Encoding in an HTTP/1.0 request',
  UNSUPPORTED_TRANSFER_CODING: 'a transfer coding other than chunked',
  INVALID_CHUNK_SIZE: 'a chunk size is not hexadecimal',
  CHUNK_SIZE_TOO_LARGE: 'a chunk size is too large',
  INVALID_CHUNK_EXTENSION: 'a chunk extension is malformed',
  CHUNK_EXTENSION_TOO_LONG: 'a chunk-size line is longer than the limit',
  INVALID_CHUNK_DELIMITER: 'chunk data is not followed by CRLF',
  TRAILERS_TOO_LARGE: 'the trailer section is larger than the limit',
};
