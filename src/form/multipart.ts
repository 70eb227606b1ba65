/**
 * The incremental multipart/form-data parser (RFC 7578 over the framing of RFC 2046 §5.1).
 *
 * Push contract, as the HTTP request parser's: `execute(chunk, start, end)` takes body bytes split
 * anywhere and returns how many it consumed. Events go to a sink: `onPartBegin` with the part's
 * validated headers, `onPartData` with its bytes, `onPartEnd`, and `onEnd` at the close delimiter.
 * A sink method that returns `true` pauses the parser: `execute` returns early and the caller hands
 * the unread tail back later. Incomplete input is never an error; `finish()` at the end of the
 * body says whether the close delimiter was seen, and if not the body is refused with
 * UNEXPECTED_END — a truncated part is never handed over as if it were whole. An error is sticky
 * until `reset()`, never thrown, reported once to `onError`, and records the body offset of the
 * byte that was refused.
 *
 *   multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
 *                     *encapsulation close-delimiter transport-padding [CRLF epilogue]
 *   encapsulation  := delimiter transport-padding CRLF body-part
 *   delimiter      := CRLF dash-boundary         dash-boundary := "--" boundary
 *   body-part      := MIME-part-headers [CRLF *OCTET]
 *
 * Zero-copy: part data is handed out as views of the caller's chunk. The only other bytes are a
 * held-back possible start of the delimiter, fewer than its length, handed out from the search's
 * copy of it and flagged `isView = false` (see search.ts). A part's header section that straddles
 * chunks is copied once into a carry buffer bounded by `maxPartHeaderBytes`.
 *
 * Where this parser is stricter than busboy (the other parsers a body may meet disagree, and a
 * body two parsers read differently is how a field gets smuggled past a check):
 * - bytes after a delimiter other than "--", transport padding and CRLF are refused (busboy ends
 *   the part there and drops what follows up to the next delimiter);
 * - part header lines end in CRLF, obs-fold is refused, and a header line that begins with the
 *   dash-boundary is refused (busboy sees a delimiter there);
 * - Content-Disposition, Content-Type and Content-Transfer-Encoding at most once per part;
 * - every part must be `form-data` with a name (busboy hands it over with an undefined name);
 * - transport padding after a delimiter is allowed (busboy drops the part that follows, silently);
 * - a part may have no body at all, a delimiter right after its blank line (busboy reads the next
 *   part's headers as this part's data).
 * A part is a file when its Content-Disposition has a filename (RFC 7578 §4.2); busboy also takes
 * a part typed application/octet-stream without a filename for a file, and one with `filename=""`
 * of another type for a field.
 *
 * This module imports nothing from `node:`: it works on any Uint8Array.
 */
import { FIELD_VALUE, TOKEN } from './chars.js';
import { FormError, FormErrorCode } from './errors.js';
import { DEFAULT_MULTIPART_LIMITS, resolveMultipartLimits, type MultipartLimits } from './limits.js';
import { isValidBoundary, parseContentDisposition, parseContentType } from './params.js';
import { Found, StreamSearch } from './search.js';

// --- The sink ---------------------------------------------------------------------------------------

export interface PartInfo {
  /** The `name` parameter of Content-Disposition (`name*` when given and understood). */
  readonly name: string;
  /** The filename, for a file part; undefined for a field. Browsers send "" when no file was chosen. */
  readonly filename: string | undefined;
  /** The media type essence, lowercased: text/plain for a field and application/octet-stream for a file when absent (RFC 7578 §4.4). */
  readonly contentType: string;
  /** The charset parameter of the part's Content-Type, lowercased, when it has one. */
  readonly charset: string | undefined;
  /** Content-Transfer-Encoding, lowercased, when sent. Deprecated (RFC 7578 §4.7) and not decoded. */
  readonly transferEncoding: string | undefined;
  /** Every header field of the part, in order: names lowercased, values decoded as UTF-8. */
  readonly headers: [string, string][];
}

export interface MultipartSink {
  /** A part's header section, complete and valid. Return true to pause before its data. */
  onPartBegin(part: PartInfo): boolean | void;
  /**
   * Part data `buf[start, end)`, never empty. `isView` is true when buf is the chunk being
   * executed, which the sink may keep without copying; false when the bytes (fewer than the
   * delimiter's length) come from the parser's own buffer and are valid only during this call.
   * Return true to pause.
   */
  onPartData(buf: Uint8Array, start: number, end: number, isView: boolean): boolean | void;
  /**
   * The end of the current part: its data is whole. Called once the delimiter line after it has
   * proved valid, so a part followed by a broken delimiter is never reported whole. Return true
   * to pause (before the next part's headers; after the last part, there is nothing to pause).
   */
  onPartEnd(): boolean | void;
  /** The close delimiter: the form is whole. What follows it is the epilogue, ignored. */
  onEnd?(): void;
  /** The body was refused; no more events follow. */
  onError?(error: FormError): void;
}

// --- States, named for their place in the grammar of RFC 2046 §5.1.1 --------------------------------

const PREAMBLE = 0; //          before the first delimiter: searched, ignored
const DELIMITER_END = 1; //     just after a dash-boundary: "--", transport padding or CRLF
const CLOSE_DASH = 2; //        the second "-" of a close-delimiter
const PADDING = 3; //           transport-padding = *LWSP-char, then CR
const DELIMITER_LF = 4; //      the LF ending a delimiter line; a part begins
const HEADER_START = 5; //      a header field line, or the CR of the blank line ending the headers
const HEADER_NAME = 6; //       field-name = token, up to ":"
const HEADER_VALUE_START = 7; // OWS before the value
const HEADER_VALUE = 8; //      field-value, up to CR
const HEADER_LF = 9; //         the LF ending a header field line
const HEADERS_END_LF = 10; //   the LF of the blank line; the part's data follows
const PART_DATA = 11; //        body-part data, searched for the next delimiter
const EPILOGUE = 12; //         after the close-delimiter: ignored
const DEAD = 13; //             after an error, until reset()

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const DASH = 0x2d;
const COLON = 0x3a;

/**
 * A CRLF the search starts out holding, as the possible start of a delimiter: the one implied
 * before the body, so that the first dash-boundary may open it, and the blank line's after a
 * part's headers (RFC 2046 §5.1.1).
 */
const IMPLIED_CRLF = 2;
const MIN_CARRY_BYTES = 512;

const utf8 = new TextDecoder('utf-8');

/** FIELD_VALUE split in two: ASCII field bytes, and obs-text (which makes a value UTF-8 to decode). */
const ASCII_FIELD_BYTE = 1;
const OBS_TEXT = 2;
const FIELD_BYTE = FIELD_VALUE.map((allowed, b) => (allowed === 1 ? (b < 0x80 ? ASCII_FIELD_BYTE : OBS_TEXT) : 0));

export class MultipartParser {
  readonly boundary: string;
  readonly limits: MultipartLimits;
  private readonly sink: MultipartSink;
  /** Finds the delimiter, CRLF "--" boundary. */
  private readonly search: StreamSearch;

  private state = PREAMBLE;
  private paused = false;
  /** The sticky error, or null. */
  error: FormError | null = null;
  /** Bytes consumed since the last reset(). */
  private consumed = 0;
  /** Body offset of position 0 of the chunk being executed. */
  private chunkOrigin = 0;

  // The header section being scanned: everything after a dash-boundary up to the part's data,
  // bounded by maxPartHeaderBytes from `sectionOrigin`. Its header lines start at `linesOrigin`;
  // their positions are "line coordinates", body offset minus `linesOrigin`.
  private sectionOrigin = 0;
  private linesOrigin = 0;
  /** A delimiter ended the current part; it is whole once the delimiter line proves valid. */
  private partOpen = false;
  private carry: Uint8Array | null = null;
  private carryLength = 0;
  /** Four line coordinates per header line: name start and end, value start and end. */
  private readonly offsets: number[] = [];
  /** How many entries of `offsets` belong to the current section. */
  private offsetCount = 0;
  /** No header value of the current section has a byte past 0x7F. */
  private asciiLines = true;
  private nameStart = 0;
  private nameEnd = 0;
  private valueStart = 0;

  // Counters, each checked against its limit before it grows.
  private parts = 0;
  private fields = 0;
  private files = 0;
  private totalFieldBytes = 0;
  private partBytes = 0;
  private inFile = false;
  /**
   * The CRLF of the blank line after a part's headers is searched as the possible start of a
   * delimiter (held by the search), because a part may have no body at all: `body-part :=
   * MIME-part-headers [CRLF *OCTET]`, so "--boundary" right after the blank line is a delimiter
   * (RFC 2046 §5.1.1). How many of those bytes the search still holds; they are never data.
   */
  private blankLineHeld = 0;
  /** Which header line of the current part is each of the three it may have once; -1 when absent. */
  private readonly known = { disposition: -1, contentType: -1, transferEncoding: -1 };

  constructor(boundary: string, sink: MultipartSink, limits?: Partial<MultipartLimits>) {
    if (!isValidBoundary(boundary)) {
      throw new FormError(FormErrorCode.INVALID_BOUNDARY, 'the boundary is not 1 to 70 bchars ending in a non-space (RFC 2046 §5.1.1)');
    }
    this.boundary = boundary;
    this.sink = sink;
    this.limits = limits === undefined ? DEFAULT_MULTIPART_LIMITS : resolveMultipartLimits(limits);
    const needle = new Uint8Array(4 + boundary.length);
    needle.set([CR, LF, DASH, DASH]);
    for (let i = 0; i < boundary.length; i++) needle[4 + i] = boundary.charCodeAt(i);
    this.search = new StreamSearch(needle);
    this.search.reset(IMPLIED_CRLF);
  }

  /** Forgets everything, including a sticky error, to parse a new body. */
  reset(): void {
    this.state = PREAMBLE;
    this.paused = false;
    this.error = null;
    this.consumed = 0;
    this.carry = null;
    this.carryLength = 0;
    this.offsetCount = 0;
    this.partOpen = false;
    this.parts = this.fields = this.files = 0;
    this.totalFieldBytes = this.partBytes = 0;
    this.blankLineHeld = 0;
    this.search.reset(IMPLIED_CRLF);
  }

  /** True once the close delimiter has been seen. */
  get done(): boolean {
    return this.state === EPILOGUE;
  }

  /**
   * Parses buf[start, end). Returns the number of bytes consumed: all of them, unless a sink
   * method paused the parser (call again with the rest) or the body was refused (see `error`).
   */
  execute(buf: Uint8Array, start = 0, end = buf.length): number {
    if (this.error !== null) return 0;
    this.paused = false;
    this.chunkOrigin = this.consumed - start;
    // A match seen ahead in an earlier call is looked at again: the caller's buffer may be reused.
    this.search.rescan();
    let p = start;
    while (p < end && !this.paused && this.error === null) {
      const state = this.state;
      if (state === PART_DATA) p = this.readPartData(buf, p, end);
      else if (state === PREAMBLE) p = this.skipPreamble(buf, p, end);
      else if (state === EPILOGUE) p = end;
      else p = this.scanHeaders(buf, p, end);
    }
    this.consumed += p - start;
    return p - start;
  }

  /**
   * Declares the end of the body. True when the close delimiter was seen; otherwise the body was
   * cut short, which becomes the sticky UNEXPECTED_END error.
   */
  finish(): boolean {
    if (this.error !== null) return false;
    if (this.state === EPILOGUE) return true;
    this.fail(FormErrorCode.UNEXPECTED_END, 'the body ended before the close delimiter', this.consumed);
    return false;
  }

  // --- Searched states --------------------------------------------------------------------------

  private skipPreamble(buf: Uint8Array, pos: number, end: number): number {
    const search = this.search;
    let p = pos;
    while (p < end) {
      p = search.step(buf, p, end);
      if (search.found === Found.MATCH) return this.afterDelimiter(p);
    }
    return p;
  }

  private readPartData(buf: Uint8Array, pos: number, end: number): number {
    const search = this.search;
    const sink = this.sink;
    let p = pos;
    if (this.blankLineHeld > 0 && search.held === IMPLIED_CRLF && buf[p] !== DASH) {
      // The data does not begin with a delimiter (the usual case): drop the blank line's CRLF.
      search.reset(0);
      this.blankLineHeld = 0;
    }
    while (p < end) {
      const from = p;
      const held = search.held;
      p = search.step(buf, p, end);
      const found = search.found;
      if (found === Found.DATA) {
        let start = search.dataStart;
        const stop = search.dataEnd;
        const isView = search.isDataSafe;
        // Held bytes were consumed by an earlier call: they end where this step began.
        let at = isView ? this.chunkOrigin + start : this.chunkOrigin + from - held;
        if (this.blankLineHeld > 0) {
          // Held bytes are handed out first, so the blank line's CRLF comes first: it is not data.
          const skip = isView ? 0 : Math.min(this.blankLineHeld, stop - start);
          this.blankLineHeld = isView ? 0 : this.blankLineHeld - skip;
          start += skip;
          at += skip;
          if (start === stop) continue;
        }
        const refused = this.overLimit(stop - start, at);
        if (refused >= 0) return Math.max(from, refused - this.chunkOrigin);
        if (sink.onPartData(search.dataBuf, start, stop, isView) === true) this.paused = true;
      } else if (found === Found.MATCH) {
        this.partOpen = true;
        return this.afterDelimiter(p);
      }
      if (this.paused || this.error !== null) return p;
    }
    return p;
  }

  /**
   * Checks `n` more bytes of the current part, starting at body offset `at`, against the limits.
   * Returns -1 and counts them when they fit; else fails at the first byte over and returns its offset.
   */
  private overLimit(n: number, at: number): number {
    const limits = this.limits;
    if (this.inFile) {
      const room = limits.maxFileBytes - this.partBytes;
      if (n > room) return this.fail(FormErrorCode.FILE_TOO_LARGE, `a file is larger than ${limits.maxFileBytes} bytes (maxFileBytes)`, at + room);
    } else {
      const room = limits.maxFieldBytes - this.partBytes;
      const totalRoom = limits.maxTotalFieldBytes - this.totalFieldBytes;
      if (n > room && room <= totalRoom) {
        return this.fail(FormErrorCode.FIELD_TOO_LARGE, `a field is larger than ${limits.maxFieldBytes} bytes (maxFieldBytes)`, at + room);
      }
      if (n > totalRoom) {
        return this.fail(FormErrorCode.FIELDS_TOO_LARGE, `the fields total more than ${limits.maxTotalFieldBytes} bytes (maxTotalFieldBytes)`, at + totalRoom);
      }
      this.totalFieldBytes += n;
    }
    this.partBytes += n;
    return -1;
  }

  /** A dash-boundary ends at chunk position p: its header section starts there. */
  private afterDelimiter(p: number): number {
    this.state = DELIMITER_END;
    this.sectionOrigin = this.chunkOrigin + p;
    this.carry = null;
    this.carryLength = 0;
    this.offsetCount = 0;
    this.asciiLines = true;
    this.blankLineHeld = 0;
    return p;
  }

  // --- The delimiter line and the part's header section ----------------------------------------

  /**
   * Scans header-section bytes from buf[pos, end). Positions are recorded as `p + delta`, which is
   * in line coordinates whether the lines live in this chunk or in the carry buffer.
   */
  private scanHeaders(buf: Uint8Array, pos: number, end: number): number {
    const limits = this.limits;
    // The byte at maxPartHeaderBytes from the section's origin is the first one refused.
    const limit = Math.min(end, limits.maxPartHeaderBytes - (this.chunkOrigin - this.sectionOrigin));
    let delta = this.chunkOrigin - this.linesOrigin;
    const offsets = this.offsets;
    // Locals, not module bindings, in the byte loops.
    const token = TOKEN;
    const fieldByte = FIELD_BYTE;
    let state = this.state;
    let p = pos;

    scan: for (;;) {
      switch (state) {
        case DELIMITER_END: {
          if (p >= limit) break scan;
          const b = buf[p]!;
          p++;
          if (b === CR) state = DELIMITER_LF;
          else if (b === DASH) state = CLOSE_DASH;
          else if (b === SP || b === HTAB) state = PADDING;
          // RFC 2046 §5.1.1: "it is sufficient that the boundary appear in its entirety following
          // the CRLF" — so a line that begins with it is a delimiter, and these bytes break it.
          else return this.failAt(FormErrorCode.INVALID_DELIMITER, 'a delimiter is followed by bytes other than "--", padding or CRLF', p - 1);
          continue;
        }
        case CLOSE_DASH: {
          if (p >= limit) break scan;
          if (buf[p] !== DASH) return this.failAt(FormErrorCode.INVALID_DELIMITER, 'a delimiter is followed by a single "-"', p);
          this.state = EPILOGUE;
          if (this.partOpen) {
            this.partOpen = false;
            this.sink.onPartEnd();
          }
          this.sink.onEnd?.();
          return p + 1;
        }
        case PADDING: {
          while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
          if (p >= limit) break scan;
          if (buf[p] !== CR) return this.failAt(FormErrorCode.INVALID_DELIMITER, 'transport padding is followed by bytes other than CRLF', p);
          state = DELIMITER_LF;
          p++;
        }
        // falls through
        case DELIMITER_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(FormErrorCode.INVALID_DELIMITER, 'a delimiter line ends in a CR without LF', p);
          if (this.partOpen) {
            this.partOpen = false;
            if (this.sink.onPartEnd() === true) this.paused = true;
          }
          if (this.parts >= limits.maxParts) {
            return this.failAt(FormErrorCode.TOO_MANY_PARTS, `more than ${limits.maxParts} parts (maxParts)`, p);
          }
          this.parts++;
          state = HEADER_START;
          p++;
          this.linesOrigin = this.chunkOrigin + p;
          delta = -p;
          if (this.paused) {
            this.state = state;
            return p;
          }
        }
        // falls through
        case HEADER_START: {
          if (p >= limit) break scan;
          const b = buf[p]!;
          if (b === CR) {
            state = HEADERS_END_LF;
            p++;
            continue;
          }
          // Strict CRLF, no obs-fold and no whitespace before a name, as in the request head.
          if (token[b] !== 1) return this.failAt(FormErrorCode.MALFORMED_PART_HEADER, 'a part header line does not start with a field name', p);
          if (this.offsetCount >= limits.maxPartHeaders * 4) {
            return this.failAt(FormErrorCode.TOO_MANY_PART_HEADERS, `a part has more than ${limits.maxPartHeaders} header fields (maxPartHeaders)`, p);
          }
          this.nameStart = p + delta;
          state = HEADER_NAME;
          p++;
        }
        // falls through
        case HEADER_NAME: {
          while (p < limit && token[buf[p]!] === 1) p++;
          if (p >= limit) break scan;
          if (buf[p] !== COLON) return this.failAt(FormErrorCode.MALFORMED_PART_HEADER, 'a part header field name is not a token followed by ":"', p);
          this.nameEnd = p + delta;
          state = HEADER_VALUE_START;
          p++;
        }
        // falls through
        case HEADER_VALUE_START: {
          while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
          if (p >= limit) break scan;
          this.valueStart = p + delta;
          state = HEADER_VALUE;
        }
        // falls through
        case HEADER_VALUE: {
          for (;;) {
            while (p < limit && fieldByte[buf[p]!] === ASCII_FIELD_BYTE) p++;
            if (p >= limit || fieldByte[buf[p]!] !== OBS_TEXT) break;
            this.asciiLines = false;
            p++;
          }
          if (p >= limit) break scan;
          if (buf[p] !== CR) return this.failAt(FormErrorCode.MALFORMED_PART_HEADER, 'a part header field value holds a control byte', p);
          const at = this.offsetCount;
          offsets[at] = this.nameStart;
          offsets[at + 1] = this.nameEnd;
          offsets[at + 2] = this.valueStart;
          offsets[at + 3] = p + delta;
          this.offsetCount = at + 4;
          state = HEADER_LF;
          p++;
        }
        // falls through
        case HEADER_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(FormErrorCode.MALFORMED_PART_HEADER, 'a part header line ends in a CR without LF', p);
          state = HEADER_START;
          p++;
          continue;
        }
        case HEADERS_END_LF: {
          if (p >= limit) break scan;
          if (buf[p] !== LF) return this.failAt(FormErrorCode.MALFORMED_PART_HEADER, 'the blank line after part headers ends in a CR without LF', p);
          this.state = state;
          if (this.carry !== null) this.keepSection(buf, pos, p + 1, delta);
          return this.beginPart(buf, p);
        }
        default:
          throw new Error('unreachable multipart parser state');
      }
    }

    // The scan stopped at `limit` without completing the section.
    this.state = state;
    if (p < end) {
      return this.failAt(FormErrorCode.PART_HEADER_TOO_LARGE, `a part's headers are larger than ${limits.maxPartHeaderBytes} bytes (maxPartHeaderBytes)`, p);
    }
    // Before the header lines begin, nothing scanned so far is needed again.
    if (state >= HEADER_START) this.keepSection(buf, pos, end, delta);
    return end;
  }

  /** Keeps buf[pos, end), the unfinished tail of a header section, in the carry buffer. */
  private keepSection(buf: Uint8Array, pos: number, end: number, delta: number): void {
    // Without a carry, the header lines so far are all in this chunk, from line coordinate 0.
    const from = this.carry === null ? -delta : pos;
    const length = this.carryLength + (end - from);
    if (this.carry === null || this.carry.length < length) {
      const grown = new Uint8Array(Math.min(Math.max(MIN_CARRY_BYTES, 2 * length), Math.max(length, this.limits.maxPartHeaderBytes)));
      if (this.carry !== null) grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(buf.subarray(from, end), this.carryLength);
    this.carryLength = length;
  }

  /** The header section is complete; its last LF is at buf[lf]. Validates it and begins the part. */
  private beginPart(buf: Uint8Array, lf: number): number {
    const limits = this.limits;
    const headers = this.readHeaderLines(buf, lf);
    if (headers === null) return lf;
    const { disposition, contentType, transferEncoding } = this.known;
    const offsets = this.offsets;

    // RFC 7578 §4.2: each part MUST contain a Content-Disposition of type "form-data" with a name.
    if (disposition < 0) {
      return this.failAt(FormErrorCode.MISSING_CONTENT_DISPOSITION, 'a part has no Content-Disposition (RFC 7578 §4.2)', lf);
    }
    const dispositionAt = this.linesOrigin + offsets[disposition * 4]!;
    const parsed = parseContentDisposition(headers[disposition]![1]);
    if (parsed === null) {
      return this.failAtOffset(FormErrorCode.INVALID_CONTENT_DISPOSITION, 'a part Content-Disposition does not parse (RFC 6266 §4.1)', dispositionAt, lf);
    }
    if (parsed.type !== 'form-data' || parsed.name === undefined) {
      return this.failAtOffset(FormErrorCode.INVALID_FORM_DATA, 'a part is not form-data with a name (RFC 7578 §4.2)', dispositionAt, lf);
    }
    const filename = parsed.filename;
    const isFile = filename !== undefined;

    // RFC 7578 §4.4: text/plain by default; a file is application/octet-stream when unlabeled.
    let essence = isFile ? 'application/octet-stream' : 'text/plain';
    let charset: string | undefined;
    if (contentType >= 0) {
      const media = parseContentType(headers[contentType]![1]);
      if (media === null) {
        const at = this.linesOrigin + offsets[contentType * 4]!;
        return this.failAtOffset(FormErrorCode.INVALID_PART_CONTENT_TYPE, 'a part Content-Type does not parse (RFC 9110 §8.3.1)', at, lf);
      }
      essence = media.essence;
      charset = media.parameter('charset')?.toLowerCase();
    }

    if (isFile) {
      if (this.files >= limits.maxFiles) return this.failAt(FormErrorCode.TOO_MANY_FILES, `more than ${limits.maxFiles} files (maxFiles)`, lf);
      this.files++;
    } else {
      if (this.fields >= limits.maxFields) return this.failAt(FormErrorCode.TOO_MANY_FIELDS, `more than ${limits.maxFields} fields (maxFields)`, lf);
      this.fields++;
    }

    const part: PartInfo = {
      name: parsed.name,
      filename,
      contentType: essence,
      charset,
      transferEncoding: transferEncoding >= 0 ? headers[transferEncoding]![1].toLowerCase() : undefined,
      headers,
    };
    this.state = PART_DATA;
    this.carry = null;
    this.inFile = isFile;
    this.partBytes = 0;
    this.search.reset(IMPLIED_CRLF);
    this.blankLineHeld = IMPLIED_CRLF;
    if (this.sink.onPartBegin(part) === true) this.paused = true;
    return lf + 1;
  }

  /**
   * The header lines of a complete section as [name, value] pairs, and where the three a part may
   * have once are (in `known`); null when a line breaks a rule (the parser has then failed).
   */
  private readHeaderLines(buf: Uint8Array, lf: number): [string, string][] | null {
    // Where the section's bytes are: the carry, or this chunk.
    const source = this.carry ?? buf;
    const base = this.carry === null ? this.linesOrigin - this.chunkOrigin : 0;
    const offsets = this.offsets;
    const count = this.offsetCount;
    const known = this.known;
    known.disposition = known.contentType = known.transferEncoding = -1;
    // Decoded at once when they are ASCII, as they nearly always are; else value by value, as UTF-8.
    const text = this.asciiLines ? decode(source, base, base + (count > 0 ? offsets[count - 1]! : 0)) : null;
    const headers: [string, string][] = [];
    for (let i = 0; i < count; i += 4) {
      const nameStart = base + offsets[i]!;
      const lineAt = this.linesOrigin + offsets[i]!;
      if (this.beginsWithDashBoundary(source, nameStart, base + offsets[i + 3]!)) {
        this.fail(FormErrorCode.MALFORMED_PART_HEADER, 'a part header line begins with the boundary', lineAt);
        return null;
      }
      const name = fieldName(source, nameStart, base + offsets[i + 1]!, text, offsets[i]!);
      const value = text !== null ? trimmed(text, offsets[i + 2]!, offsets[i + 3]!) : decodeValue(source, base + offsets[i + 2]!, base + offsets[i + 3]!);
      const index = headers.push([name, value]) - 1;
      let repeated = false;
      if (name === 'content-disposition') {
        repeated = known.disposition >= 0;
        known.disposition = index;
      } else if (name === 'content-type') {
        repeated = known.contentType >= 0;
        known.contentType = index;
      } else if (name === 'content-transfer-encoding') {
        repeated = known.transferEncoding >= 0;
        known.transferEncoding = index;
      }
      // Two values for a field that may appear once: which one wins is for no parser to guess.
      if (repeated) {
        this.fail(FormErrorCode.DUPLICATE_PART_HEADER, 'a part repeats a header field that may appear once', lineAt);
        return null;
      }
    }
    return headers;
  }

  /** Whether source[start, end) begins with the dash-boundary ("--" boundary), byte for byte. */
  private beginsWithDashBoundary(source: Uint8Array, start: number, end: number): boolean {
    const needle = this.search.needle;
    const n = needle.length - 2;
    if (end - start < n) return false;
    for (let i = 0; i < n; i++) if (source[start + i] !== needle[2 + i]) return false;
    return true;
  }

  // --- Errors ------------------------------------------------------------------------------------

  /** Makes `code` the sticky error, refusing the byte at body offset `offset`; returns `offset`. */
  private fail(code: FormErrorCode, message: string, offset: number): number {
    this.error = new FormError(code, message, offset);
    this.state = DEAD;
    this.carry = null;
    this.sink.onError?.(this.error);
    return offset;
  }

  /** Fails at chunk position p; returns p, where execute stops. */
  private failAt(code: FormErrorCode, message: string, p: number): number {
    this.fail(code, message, this.chunkOrigin + p);
    return p;
  }

  /** Fails at body offset `offset`, found while at chunk position p; returns p. */
  private failAtOffset(code: FormErrorCode, message: string, offset: number, p: number): number {
    this.fail(code, message, offset);
    return p;
  }
}

/** The names every part has, as lowercase bytes, so that they are matched rather than built. */
const KNOWN_NAMES = ['content-disposition', 'content-type', 'content-transfer-encoding'].map((name) => ({
  name,
  bytes: Uint8Array.from(name, (c) => c.charCodeAt(0)),
}));

/**
 * A field name (token bytes, ASCII), lowercased. For a token byte b, `(b | 0x20) === t` holds
 * exactly when b is t in either case, for t a lowercase letter or "-".
 */
function fieldName(source: Uint8Array, start: number, end: number, text: string | null, textStart: number): string {
  const length = end - start;
  // The known names differ in length.
  const known = length === 19 ? KNOWN_NAMES[0]! : length === 12 ? KNOWN_NAMES[1]! : length === 25 ? KNOWN_NAMES[2]! : null;
  if (known !== null) {
    const bytes = known.bytes;
    let i = 0;
    while (i < length && (source[start + i]! | 0x20) === bytes[i]) i++;
    if (i === length) return known.name;
  }
  return (text !== null ? text.slice(textStart, textStart + length) : decode(source, start, end)).toLowerCase();
}

/** UTF-8 text; for ASCII, the same as latin1. Over a plain view: a Buffer's own subarray() costs more than the decoding. */
function decode(source: Uint8Array, start: number, end: number): string {
  return utf8.decode(new Uint8Array(source.buffer, source.byteOffset + start, end - start));
}

/** text[start, end) without trailing OWS. */
function trimmed(text: string, start: number, end: number): string {
  while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) end--;
  return text.slice(start, end);
}

/** A field value without trailing OWS, decoded as UTF-8 (what browsers send); invalid bytes become U+FFFD. */
function decodeValue(source: Uint8Array, start: number, end: number): string {
  while (end > start && (source[end - 1] === SP || source[end - 1] === HTAB)) end--;
  return decode(source, start, end);
}
