/**
 * The `Range` request field for bytes (RFC 9110 §14.1–§14.2). This module imports nothing.
 *
 *   Range          = ranges-specifier
 *   ranges-specifier = range-unit "=" range-set
 *   range-set      = 1#range-spec
 *   range-spec     = int-range / suffix-range / other-range
 *   int-range      = first-pos "-" [ last-pos ]
 *   suffix-range   = "-" suffix-length
 */

/** A satisfiable range: `start` to `end`, both inclusive, as Content-Range writes them. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeRequest =
  /** No usable Range: send the whole representation (200). */
  | { readonly kind: 'whole' }
  /** No range overlaps the representation: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** One range → 206 with Content-Range; several → 206 multipart/byteranges. */
  | { readonly kind: 'ranges'; readonly ranges: readonly ByteRange[] };

/**
 * At most 16 ranges per request: RFC 9110 §14.2 lets a server ignore a Range holding many
 * small ranges (an amplification and seek-storm vector); 16 is more than any media player or
 * download resumer asks for.
 */
export const MAX_RANGES = 16;

const WHOLE: RangeRequest = Object.freeze({ kind: 'whole' });
const UNSATISFIABLE: RangeRequest = Object.freeze({ kind: 'unsatisfiable' });

/** first-pos, last-pos and suffix-length: 1*DIGIT. Longer than 15 digits is beyond any file. */
const DIGITS = /^[0-9]{1,15}$/;
const MANY_DIGITS = /^[0-9]+$/;

/** A position: its value, Infinity for more digits than a file can have, NaN if not 1*DIGIT. */
function position(text: string): number {
  if (DIGITS.test(text)) return Number(text);
  return MANY_DIGITS.test(text) ? Number.POSITIVE_INFINITY : Number.NaN;
}

function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(start, end);
}

/**
 * What a `Range` field value asks of a representation `size` bytes long. Decisions where the
 * RFC lets the server choose:
 * - A unit other than `bytes` is ignored (§14.2: MUST), and so is an invalid range-set (§14.2:
 *   MAY ignore): the whole representation is sent, as if there were no Range.
 * - More than `maxRanges` ranges, or ranges adding up to more than the representation (which only
 *   overlapping ranges can do), are ignored too (§14.2 names both as an attack; Go's net/http
 *   draws the same line), so a response is never much larger than the file.
 * - Ranges that do not overlap the representation are dropped from a set that has others
 *   (§14.1.1), and the rest are served in the order asked (§14.6: they may be reordered or
 *   coalesced, but need not be).
 * - A zero-length representation is sent whole: §14.1.1 calls a suffix-range satisfiable even then,
 *   but no Content-Range can describe an empty range.
 */
export function parseRange(value: string, size: number, maxRanges = MAX_RANGES): RangeRequest {
  const eq = value.indexOf('=');
  if (eq < 0) return WHOLE;
  // range-unit is a token, compared case-insensitively (§14.1).
  if (trimOws(value.slice(0, eq)).toLowerCase() !== 'bytes') return WHOLE;
  if (size === 0) return WHOLE;
  const ranges: ByteRange[] = [];
  let specs = 0;
  let total = 0;
  // 1#range-spec: empty list elements are allowed and ignored (RFC 9110 §5.6.1.2).
  for (const element of value.slice(eq + 1).split(',')) {
    const spec = trimOws(element);
    if (spec.length === 0) continue;
    if (++specs > maxRanges) return WHOLE;
    const dash = spec.indexOf('-');
    if (dash < 0) return WHOLE;
    let range: ByteRange | null;
    if (dash === 0) {
      // suffix-range: the last suffix-length bytes; satisfiable when suffix-length > 0.
      const length = position(spec.slice(1));
      if (Number.isNaN(length)) return WHOLE;
      range = length > 0 ? { start: Math.max(0, size - Math.min(length, size)), end: size - 1 } : null;
    } else {
      const first = position(spec.slice(0, dash));
      const lastText = spec.slice(dash + 1);
      const last = lastText.length === 0 ? Number.POSITIVE_INFINITY : position(lastText);
      if (Number.isNaN(first) || Number.isNaN(last)) return WHOLE;
      if (last < first) return WHOLE; // §14.1.1: invalid when last-pos < first-pos
      // int-range: satisfiable when first-pos < size; last-pos past the end means the end.
      range = first < size ? { start: first, end: Math.min(last, size - 1) } : null;
    }
    if (range === null) continue;
    total += range.end - range.start + 1;
    if (total > size) return WHOLE;
    ranges.push(range);
  }
  if (specs === 0) return WHOLE;
  if (ranges.length === 0) return UNSATISFIABLE;
  return { kind: 'ranges', ranges };
}

/** `bytes 0-499/1234` (RFC 9110 §14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** `bytes *\/1234`: what a 416 says about the representation's length (RFC 9110 §15.5.17). */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
