/**
 * One error type for every form body Seal refuses, with a stable code and the HTTP status it maps
 * to. It is separate from http/errors.ts on purpose: form/ depends on nothing, so the form parsers
 * can be fuzzed, benchmarked and reused alone. Only the code is API; messages name the rule or the
 * limit that was broken and never echo the client's bytes.
 */

export const FormErrorCode = {
  // The request's Content-Type (RFC 7578 §4.1, RFC 2046 §5.1.1)
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INVALID_CONTENT_TYPE: 'INVALID_CONTENT_TYPE',
  NO_BOUNDARY: 'NO_BOUNDARY',
  INVALID_BOUNDARY: 'INVALID_BOUNDARY',
  // Body framing (RFC 2046 §5.1.1)
  INVALID_DELIMITER: 'INVALID_DELIMITER',
  UNEXPECTED_END: 'UNEXPECTED_END',
  // Part headers (RFC 7578 §4.2–§4.8)
  MALFORMED_PART_HEADER: 'MALFORMED_PART_HEADER',
  DUPLICATE_PART_HEADER: 'DUPLICATE_PART_HEADER',
  MISSING_CONTENT_DISPOSITION: 'MISSING_CONTENT_DISPOSITION',
  INVALID_CONTENT_DISPOSITION: 'INVALID_CONTENT_DISPOSITION',
  INVALID_FORM_DATA: 'INVALID_FORM_DATA',
  INVALID_PART_CONTENT_TYPE: 'INVALID_PART_CONTENT_TYPE',
  // Limits (see multipart.ts for each default and its reason)
  TOO_MANY_PARTS: 'TOO_MANY_PARTS',
  TOO_MANY_FIELDS: 'TOO_MANY_FIELDS',
  TOO_MANY_FILES: 'TOO_MANY_FILES',
  FIELD_TOO_LARGE: 'FIELD_TOO_LARGE',
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FIELDS_TOO_LARGE: 'FIELDS_TOO_LARGE',
  TOO_MANY_PART_HEADERS: 'TOO_MANY_PART_HEADERS',
  PART_HEADER_TOO_LARGE: 'PART_HEADER_TOO_LARGE',
} as const;

export type FormErrorCode = (typeof FormErrorCode)[keyof typeof FormErrorCode];

/** The one place a form error code becomes an HTTP status. */
export function formStatusOf(code: FormErrorCode): number {
  switch (code) {
    case FormErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case FormErrorCode.TOO_MANY_PARTS:
    case FormErrorCode.TOO_MANY_FIELDS:
    case FormErrorCode.TOO_MANY_FILES:
    case FormErrorCode.FIELD_TOO_LARGE:
    case FormErrorCode.FILE_TOO_LARGE:
    case FormErrorCode.FIELDS_TOO_LARGE:
    case FormErrorCode.TOO_MANY_PART_HEADERS:
    case FormErrorCode.PART_HEADER_TOO_LARGE:
      // RFC 9110 §15.5.14: the content is larger than the server is willing to process.
      return 413;
    default:
      return 400;
  }
}

export class FormError extends Error {
  readonly code: FormErrorCode;
  /** The HTTP status this error is answered with. */
  readonly status: number;
  /** Offset in the body of the byte that was refused (its length, for UNEXPECTED_END), or -1 when not from a body. */
  readonly offset: number;

  constructor(code: FormErrorCode, message: string, offset = -1) {
    super(message);
    this.name = 'FormError';
    this.code = code;
    this.status = formStatusOf(code);
    this.offset = offset;
  }
}
