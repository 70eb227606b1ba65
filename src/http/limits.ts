/**
 * Every size and count the parser and the server bound, as named defaults with a unit and a
 * reason. `resolveLimits` merges a caller's overrides once into a frozen object, so the hot paths
 * read plain fields.
 */

/** Request line, including empty lines before it: 8 KiB, the figure RFC 9112 §3 recommends at least. → 414 */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** Field section of the head (field lines and the final CRLF): 16 KiB, as node:http's maxHeaderSize. → 431 */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Field lines in a head or a trailer section: 100, as node:http's maxHeadersCount default. → 431 */
export const MAX_HEADER_FIELDS = 100;
/** Extensions on one chunk-size line: 1 KiB; no client sends more than a few bytes. → 400 */
export const MAX_CHUNK_EXTENSION_BYTES = 1024;
/** Trailer section of a chunked body: 4 KiB. → 431 */
export const MAX_TRAILER_BYTES = 4 * 1024;

export interface ParserLimits {
  readonly maxRequestLineBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaderFields: number;
  readonly maxChunkExtensionBytes: number;
  readonly maxTrailerBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = Object.freeze({
  maxRequestLineBytes: MAX_REQUEST_LINE_BYTES,
  maxHeaderBytes: MAX_HEADER_BYTES,
  maxHeaderFields: MAX_HEADER_FIELDS,
  maxChunkExtensionBytes: MAX_CHUNK_EXTENSION_BYTES,
  maxTrailerBytes: MAX_TRAILER_BYTES,
});

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

export function resolveLimits(overrides: Partial<ParserLimits> = {}): ParserLimits {
  const merged = { ...DEFAULT_PARSER_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(merged)) positiveInteger(name, value);
  return Object.freeze(merged);
}
