/**
 * One error type for everything Seal refuses, with a stable code and the HTTP status it maps to.
 * Only the code is API; messages are free text and never echo the client's bytes, so an error
 * page or a log line cannot be used to reflect input back.
 */

export const ErrorCode = {
  // Request line (RFC 9112 §3)
  INVALID_METHOD: 'INVALID_METHOD',
  INVALID_TARGET: 'INVALID_TARGET',
  INVALID_TARGET_FORM: 'INVALID_TARGET_FORM',
  INVALID_VERSION: 'INVALID_VERSION',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  REQUEST_LINE_TOO_LONG: 'REQUEST_LINE_TOO_LONG',
  // Line endings (RFC 9112 §2.2)
  BARE_CR: 'BARE_CR',
  BARE_LF: 'BARE_LF',
  // Field lines (RFC 9112 §5, RFC 9110 §5)
  INVALID_HEADER_NAME: 'INVALID_HEADER_NAME',
  INVALID_HEADER_VALUE: 'INVALID_HEADER_VALUE',
  WHITESPACE_BEFORE_COLON: 'WHITESPACE_BEFORE_COLON',
  OBSOLETE_LINE_FOLDING: 'OBSOLETE_LINE_FOLDING',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  TOO_MANY_HEADERS: 'TOO_MANY_HEADERS',
  MISSING_HOST: 'MISSING_HOST',
  DUPLICATE_HOST: 'DUPLICATE_HOST',
  INVALID_HOST: 'INVALID_HOST',
  // Framing (RFC 9112 §6, §7)
  INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  CONFLICTING_CONTENT_LENGTH: 'CONFLICTING_CONTENT_LENGTH',
  CONTENT_LENGTH_AND_TRANSFER_ENCODING: 'CONTENT_LENGTH_AND_TRANSFER_ENCODING',
  INVALID_TRANSFER_ENCODING: 'INVALID_TRANSFER_ENCODING',
  CHUNKED_NOT_FINAL: 'CHUNKED_NOT_FINAL',
  TRANSFER_ENCODING_IN_HTTP_1_0: 'TRANSFER_ENCODING_IN_HTTP_1_0',
  UNSUPPORTED_TRANSFER_CODING: 'UNSUPPORTED_TRANSFER_CODING',
  INVALID_CHUNK_SIZE: 'INVALID_CHUNK_SIZE',
  CHUNK_SIZE_TOO_LARGE: 'CHUNK_SIZE_TOO_LARGE',
  INVALID_CHUNK_EXTENSION: 'INVALID_CHUNK_EXTENSION',
  CHUNK_EXTENSION_TOO_LONG: 'CHUNK_EXTENSION_TOO_LONG',
  INVALID_CHUNK_DELIMITER: 'INVALID_CHUNK_DELIMITER',
  TRAILERS_TOO_LARGE: 'TRAILERS_TOO_LARGE',
  INCOMPLETE_MESSAGE: 'INCOMPLETE_MESSAGE',
  // Request handling (server)
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  EXPECTATION_FAILED: 'EXPECTATION_FAILED',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  HEADERS_TIMEOUT: 'HEADERS_TIMEOUT',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INVALID_BODY: 'INVALID_BODY',
  HANDLER_FAILED: 'HANDLER_FAILED',
  INVALID_RESPONSE_HEADER: 'INVALID_RESPONSE_HEADER',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one place an error code becomes an HTTP status. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.REQUEST_LINE_TOO_LONG:
      return 414;
    case ErrorCode.HEADERS_TOO_LARGE:
    case ErrorCode.TOO_MANY_HEADERS:
    case ErrorCode.TRAILERS_TOO_LARGE:
      return 431;
    case ErrorCode.UNSUPPORTED_VERSION:
      return 505;
    case ErrorCode.UNSUPPORTED_TRANSFER_CODING:
    case ErrorCode.NOT_IMPLEMENTED:
      return 501;
    case ErrorCode.BODY_TOO_LARGE:
      return 413;
    case ErrorCode.EXPECTATION_FAILED:
      return 417;
    case ErrorCode.HEADERS_TIMEOUT:
    case ErrorCode.REQUEST_TIMEOUT:
      return 408;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCode.HANDLER_FAILED:
    case ErrorCode.INVALID_RESPONSE_HEADER:
      return 500;
    default:
      return 400;
  }
}

export class SealError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status this error is answered with. */
  readonly status: number;
  /** Byte offset in the connection's input where parsing stopped, or -1 when not from input. */
  readonly offset: number;

  constructor(code: ErrorCode, message: string, offset = -1) {
    super(message);
    this.name = 'SealError';
    this.code = code;
    this.status = statusOf(code);
    this.offset = offset;
  }
}
