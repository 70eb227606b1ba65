/**
 * The limits of a multipart/form-data body: named defaults with a unit and a reason each,
 * resolved once into a frozen object the parser reads. Each is checked when its counter grows,
 * before the bytes are accepted. Depends on nothing.
 */

/** Parts (fields and files) in one body: 1000, as PHP's max_input_vars; each costs a PartInfo. → 413 */
export const MAX_PARTS = 1000;
/** Fields (parts without a filename): 1000, as PHP's max_input_vars. → 413 */
export const MAX_FIELDS = 1000;
/** Files (parts with a filename): 100. PHP allows 20 (max_file_uploads); multi-file pickers send more. → 413 */
export const MAX_FILES = 100;
/** Bytes of one field's value: 1 MiB, as busboy's fieldSize. Consumers keep fields in memory as strings. → 413 */
export const MAX_FIELD_BYTES = 1024 * 1024;
/**
 * Bytes of all field values together: 10 MiB, the buffered-body default of the HTTP layer
 * (MAX_BODY_BYTES): fields are held in memory all at once, as a buffered body is. → 413
 */
export const MAX_TOTAL_FIELD_BYTES = 10 * 1024 * 1024;
/**
 * Bytes of one file: 100 MiB. A file streams through the sink and the parser holds none of it, so
 * this bounds what one upload can make a consumer store, not the parser's memory: ten times the
 * buffered-body default, above photos and documents. Raise it for video. → 413
 */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/**
 * Header fields in one part: 20. RFC 7578 §4.8 defines three (Content-Disposition, Content-Type,
 * Content-Transfer-Encoding) and says others are ignored; 20 leaves room for clients that add a few. → 413
 */
export const MAX_PART_HEADERS = 20;
/**
 * Bytes from a delimiter to its part's data (transport padding, header fields, the blank line):
 * 8 KiB, half node:http's 16 KiB head; a 255-byte filename percent-encoded three times over fits. → 413
 */
export const MAX_PART_HEADER_BYTES = 8 * 1024;

export interface MultipartLimits {
  readonly maxParts: number;
  readonly maxFields: number;
  readonly maxFiles: number;
  readonly maxFieldBytes: number;
  readonly maxTotalFieldBytes: number;
  readonly maxFileBytes: number;
  readonly maxPartHeaders: number;
  readonly maxPartHeaderBytes: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = Object.freeze({
  maxParts: MAX_PARTS,
  maxFields: MAX_FIELDS,
  maxFiles: MAX_FILES,
  maxFieldBytes: MAX_FIELD_BYTES,
  maxTotalFieldBytes: MAX_TOTAL_FIELD_BYTES,
  maxFileBytes: MAX_FILE_BYTES,
  maxPartHeaders: MAX_PART_HEADERS,
  maxPartHeaderBytes: MAX_PART_HEADER_BYTES,
});

/** Merges overrides once into a frozen object. Each limit is a whole number ≥ 0, or Infinity. */
export function resolveMultipartLimits(overrides: Partial<MultipartLimits> = {}): MultipartLimits {
  const merged: MultipartLimits = { ...DEFAULT_MULTIPART_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !(Number.isSafeInteger(value) || value === Infinity) || value < 0) {
      throw new RangeError(`${name} must be a whole number ≥ 0 or Infinity`);
    }
  }
  return Object.freeze(merged);
}
