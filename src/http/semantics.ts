/**
 * What a complete head means: the form of its request-target, its Host, its body framing
 * (Content-Length vs Transfer-Encoding), persistence, Expect and Upgrade. Runs once per head,
 * over the offsets the scanner recorded; only the few fields that matter are looked at.
 */
import { ASTERISK, BACKSLASH, COLON, COMMA, DQUOTE, EQUALS, HEX_VALUE, HTAB, IP_LITERAL, LOWER, PERCENT, QDTEXT, QUOTED_PAIR, REG_NAME, SCHEME, SEMICOLON, SLASH, SP, TOKEN, equalsLowerCase } from './chars.js';
import { ErrorCode } from './errors.js';
import type { RequestHead } from './head.js';

/** A Content-Length of 16 digits or more could exceed 2^53 - 1; no request body is that large. */
const MAX_CONTENT_LENGTH_DIGITS = 15;

const NOT_PRESENT = -1;

/**
 * Checks the head and fills in its framing. Returns null when the request is acceptable,
 * else the code it is refused with.
 */
export function analyzeHead(head: RequestHead): ErrorCode | null {
  const { buf, offsets } = head;

  let contentLength = NOT_PRESENT;
  let hostCount = 0;
  let hostIndex = -1;
  let transferEncoding = false;
  let chunked = false;
  let unsupportedCoding = false;
  let connectionClose = false;
  let connectionKeepAlive = false;
  let connectionUpgrade = false;
  let upgradeField = false;

  for (let i = 0; i < offsets.length; i += 4) {
    const nameStart = offsets[i]!;
    const nameEnd = offsets[i + 1]!;
    const valueStart = offsets[i + 2]!;
    const valueEnd = offsets[i + 3]!;
    // Only names of these lengths matter; the switch keeps the common case to one comparison.
    switch (nameEnd - nameStart) {
      case 4:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'host')) {
          hostCount++;
          hostIndex = i;
        }
        break;
      case 6:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'expect')) {
          if (equalsLowerCase(buf, valueStart, valueEnd, '100-continue')) head.expectContinue = true;
          else head.unsupportedExpectation = true;
        }
        break;
      case 7:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'upgrade')) upgradeField = true;
        break;
      case 10:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'connection')) {
          const tokens = connectionTokens(buf, valueStart, valueEnd);
          if (tokens < 0) return ErrorCode.INVALID_HEADER_VALUE;
          connectionClose ||= (tokens & CLOSE) !== 0;
          connectionKeepAlive ||= (tokens & KEEP_ALIVE) !== 0;
          connectionUpgrade ||= (tokens & UPGRADE) !== 0;
        }
        break;
      case 14:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'content-length')) {
          const value = decimal(buf, valueStart, valueEnd);
          if (value < 0) return ErrorCode.INVALID_CONTENT_LENGTH;
          // RFC 9110 §8.6: repeated fields with one value are tolerated; differing ones are not.
          if (contentLength !== NOT_PRESENT && contentLength !== value) return ErrorCode.CONFLICTING_CONTENT_LENGTH;
          contentLength = value;
        }
        break;
      case 17:
        if (equalsLowerCase(buf, nameStart, nameEnd, 'transfer-encoding')) {
          // Codings from several fields form one list (RFC 9110 §5.3); chunked must be last of all.
          const codings = transferCodings(buf, valueStart, valueEnd);
          // An empty list is refused too: intermediaries disagree on whether it means "no coding".
          if (codings <= EMPTY_LIST) return ErrorCode.INVALID_TRANSFER_ENCODING;
          if (chunked) return ErrorCode.CHUNKED_NOT_FINAL;
          transferEncoding = true;
          chunked = (codings & ENDS_CHUNKED) !== 0;
          if ((codings & CHUNKED_BEFORE_END) !== 0) return ErrorCode.CHUNKED_NOT_FINAL;
          unsupportedCoding ||= (codings & OTHER_CODING) !== 0;
        }
        break;
    }
  }

  const targetError = checkTarget(head);
  if (targetError !== null) return targetError;

  // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host, or with more than one.
  if (hostCount > 1) return ErrorCode.DUPLICATE_HOST;
  if (hostCount === 0 && head.versionMinor === 1) return ErrorCode.MISSING_HOST;
  if (hostIndex >= 0 && !isHost(buf, offsets[hostIndex + 2]!, offsets[hostIndex + 3]!, true)) {
    return ErrorCode.INVALID_HOST;
  }

  if (transferEncoding) {
    // RFC 9112 §6.1: TE in an HTTP/1.0 message means its framing cannot be trusted.
    if (head.versionMinor === 0) return ErrorCode.TRANSFER_ENCODING_IN_HTTP_1_0;
    // RFC 9112 §6.3: TE with Content-Length is a smuggling attempt more often than not; refuse it.
    if (contentLength !== NOT_PRESENT) return ErrorCode.CONTENT_LENGTH_AND_TRANSFER_ENCODING;
    // RFC 9112 §6.3: a request whose final coding is not chunked cannot be framed → 400.
    if (!chunked) return ErrorCode.CHUNKED_NOT_FINAL;
    // RFC 9112 §6.1: a coding we do not implement → 501.
    if (unsupportedCoding) return ErrorCode.UNSUPPORTED_TRANSFER_CODING;
    head.chunked = true;
    head.contentLength = -1;
  } else {
    head.contentLength = contentLength === NOT_PRESENT ? 0 : contentLength;
  }

  // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 persists only with "keep-alive".
  head.keepAlive = !connectionClose && (head.versionMinor === 1 || connectionKeepAlive);
  head.upgrade = connectionUpgrade && upgradeField;
  return null;
}

/** 1*DIGIT as a number, or -1 when the bytes are not that (empty, signed, hex, spaces, a list, too long). */
function decimal(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const CLOSE = 1;
const KEEP_ALIVE = 2;
const UPGRADE = 4;

/**
 * Connection = #connection-option (RFC 9110 §7.6.1): a comma list of tokens, empty elements allowed.
 * Returns the known options seen as bit flags, or -1 when the list is malformed.
 */
function connectionTokens(buf: Uint8Array, start: number, end: number): number {
  // The two values nearly every request sends, without the list walk.
  if (equalsLowerCase(buf, start, end, 'keep-alive')) return KEEP_ALIVE;
  if (equalsLowerCase(buf, start, end, 'close')) return CLOSE;
  let flags = 0;
  let p = start;
  while (p < end) {
    while (p < end && (buf[p] === SP || buf[p] === HTAB || buf[p] === COMMA)) p++;
    const tokenStart = p;
    while (p < end && TOKEN[buf[p]!]) p++;
    const tokenEnd = p;
    while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
    if (p < end && buf[p] !== COMMA) return -1;
    if (equalsLowerCase(buf, tokenStart, tokenEnd, 'close')) flags |= CLOSE;
    else if (equalsLowerCase(buf, tokenStart, tokenEnd, 'keep-alive')) flags |= KEEP_ALIVE;
    else if (equalsLowerCase(buf, tokenStart, tokenEnd, 'upgrade')) flags |= UPGRADE;
  }
  return flags;
}

const EMPTY_LIST = 0;
const ENDS_CHUNKED = 1;
const CHUNKED_BEFORE_END = 2;
const OTHER_CODING = 4;
const NON_EMPTY = 8;

/**
 * Transfer-Encoding = #transfer-coding (RFC 9112 §6.1)
 *   transfer-coding    = token *( OWS ";" OWS transfer-parameter )
 *   transfer-parameter = token BWS "=" BWS ( token / quoted-string )
 * Returns flags describing the list, or -1 when it is malformed. "chunked" takes no parameters.
 */
function transferCodings(buf: Uint8Array, start: number, end: number): number {
  let flags = EMPTY_LIST;
  let lastWasChunked = false;
  let p = start;
  while (p < end) {
    while (p < end && (buf[p] === SP || buf[p] === HTAB || buf[p] === COMMA)) p++;
    if (p >= end) break;
    const tokenStart = p;
    while (p < end && TOKEN[buf[p]!]) p++;
    if (p === tokenStart) return -1;
    const isChunked = equalsLowerCase(buf, tokenStart, p, 'chunked');
    if (lastWasChunked) flags |= CHUNKED_BEFORE_END;
    lastWasChunked = isChunked;
    flags |= NON_EMPTY;
    if (!isChunked) flags |= OTHER_CODING;
    p = skipWhitespace(buf, p, end);
    while (p < end && buf[p] === SEMICOLON) {
      if (isChunked) return -1;
      p = skipWhitespace(buf, p + 1, end);
      const nameStart = p;
      while (p < end && TOKEN[buf[p]!]) p++;
      if (p === nameStart) return -1;
      p = skipWhitespace(buf, p, end);
      if (buf[p] !== EQUALS) return -1;
      p = skipWhitespace(buf, p + 1, end);
      p = skipTokenOrQuoted(buf, p, end);
      if (p < 0) return -1;
      p = skipWhitespace(buf, p, end);
    }
    if (p < end && buf[p] !== COMMA) return -1;
  }
  if (lastWasChunked) flags |= ENDS_CHUNKED;
  return flags;
}

function skipWhitespace(buf: Uint8Array, p: number, end: number): number {
  while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
  return p;
}

/** Skips `token / quoted-string` starting at p; returns the position after it, or -1. */
export function skipTokenOrQuoted(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  if (buf[p] !== DQUOTE) {
    const start = p;
    while (p < end && TOKEN[buf[p]!]) p++;
    return p === start ? -1 : p;
  }
  for (p++; p < end; p++) {
    const b = buf[p]!;
    if (b === DQUOTE) return p + 1;
    if (b === BACKSLASH) {
      p++;
      if (p >= end || !QUOTED_PAIR[buf[p]!]) return -1;
    } else if (!QDTEXT[b]) return -1;
  }
  return -1;
}

/**
 * uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2):
 *   uri-host = IP-literal / IPv4address / reg-name ; port = *DIGIT
 * An empty host is allowed when `allowEmpty` (a Host for a URI without authority); `needPort`
 * requires a non-empty port (CONNECT's authority-form, RFC 9112 §3.2.3).
 */
function isHost(buf: Uint8Array, start: number, end: number, allowEmpty: boolean, needPort = false): boolean {
  let p = start;
  if (p < end && buf[p] === 0x5b /* [ */) {
    p++;
    const literalStart = p;
    while (p < end && IP_LITERAL[buf[p]!]) p++;
    // An IPv6 address has at least two colons' worth ("::"); IPvFuture starts with "v".
    if (p === end || buf[p] !== 0x5d /* ] */ || p - literalStart < 2) return false;
    const first = LOWER[buf[literalStart]!]!;
    if (first !== 0x76 /* v */ && !isIpv6Bytes(buf, literalStart, p)) return false;
    p++;
  } else {
    const regName = REG_NAME;
    while (p < end) {
      const b = buf[p]!;
      // The common bytes first: one table load per byte of a plain name or address.
      if (regName[b]) {
        p++;
        continue;
      }
      if (b === COLON) break;
      if (b !== PERCENT) return false;
      if (p + 2 >= end || HEX_VALUE[buf[p + 1]!] === 0xff || HEX_VALUE[buf[p + 2]!] === 0xff) return false;
      p += 3;
    }
    // An empty host is a Host for a URI without authority; an empty host with a port is nothing.
    if (p === start && (!allowEmpty || p < end)) return false;
  }
  if (p === end) return !needPort && (p > start || allowEmpty);
  if (buf[p] !== COLON) return false;
  p++;
  if (needPort && p === end) return false;
  for (; p < end; p++) if (buf[p]! < 0x30 || buf[p]! > 0x39) return false;
  return true;
}

/** IPv6address bytes: hex digits, colons and dots only (RFC 3986 §3.2.2; the shape is not checked further). */
function isIpv6Bytes(buf: Uint8Array, start: number, end: number): boolean {
  let colons = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === COLON) colons++;
    else if (b !== 0x2e && HEX_VALUE[b] === 0xff) return false;
  }
  return colons >= 2;
}

/**
 * RFC 9112 §3.2: origin-form for ordinary requests, absolute-form for any (proxies), authority-form
 * only with CONNECT, asterisk-form only with OPTIONS.
 */
function checkTarget(head: RequestHead): ErrorCode | null {
  const { buf, targetStart: start, targetEnd: end } = head;
  const first = buf[start];
  if (head.isMethod('CONNECT')) {
    // authority-form = uri-host ":" port, the port required (RFC 9112 §3.2.3).
    return isHost(buf, start, end, false, true) ? null : ErrorCode.INVALID_TARGET_FORM;
  }
  if (first === SLASH) return null;
  if (first === ASTERISK && end - start === 1) {
    return head.isMethod('OPTIONS') ? null : ErrorCode.INVALID_TARGET_FORM;
  }
  // absolute-form: scheme ":" hier-part [ "?" query ]; the scheme starts with a letter.
  if (first === undefined || LOWER[first]! < 0x61 || LOWER[first]! > 0x7a) return ErrorCode.INVALID_TARGET_FORM;
  let p = start + 1;
  while (p < end && SCHEME[buf[p]!]) p++;
  if (p >= end || buf[p] !== COLON) return ErrorCode.INVALID_TARGET_FORM;
  return null;
}
