/**
 * The TCP layer's one error type. Only `code` is API; messages are free text and never echo
 * bytes received from a client.
 */
export const NET_ERROR_CODES = {
  /** `readUntil`/`readLine` scanned its byte limit without finding the delimiter. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The peer ended the stream in the middle of a `readExactly`/`readUntil`. */
  UNEXPECTED_EOF: 'UNEXPECTED_EOF',
  /** A second read was started while one was pending; reads are sequential by contract. */
  READ_IN_PROGRESS: 'READ_IN_PROGRESS',
  /** A socket was accepted while `maxConnections` were open; it was destroyed. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** The socket saw no I/O for `idleTimeoutMs`; it was destroyed. */
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  /** `close()` reached its deadline with this connection still open; it was destroyed. */
  CLOSE_DEADLINE: 'CLOSE_DEADLINE',
  /** `listen()` called on a server that is already listening or was closed. */
  SERVER_STATE: 'SERVER_STATE',
  /** A handler threw or rejected with something that is not an `Error`. */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** A PROXY protocol listener read bytes that are not a valid v1 or v2 header; the socket was closed. */
  PROXY_HEADER_INVALID: 'PROXY_HEADER_INVALID',
  /** A v1 line longer than 107 bytes, or a v2 header announcing more than its limit. */
  PROXY_HEADER_TOO_LARGE: 'PROXY_HEADER_TOO_LARGE',
  /** The peer ended the stream before its PROXY header was complete. */
  PROXY_HEADER_INCOMPLETE: 'PROXY_HEADER_INCOMPLETE',
  /** No complete PROXY header within the listener's timeout; the socket was closed. */
  PROXY_HEADER_TIMEOUT: 'PROXY_HEADER_TIMEOUT',
  /** A peer outside the PROXY listener's `trusted` list connected; the socket was closed unread. */
  PROXY_PEER_UNTRUSTED: 'PROXY_PEER_UNTRUSTED',
} as const;

export type NetErrorCode = (typeof NET_ERROR_CODES)[keyof typeof NET_ERROR_CODES];

export class NetError extends Error {
  override readonly name = 'NetError';
  readonly code: NetErrorCode;

  constructor(code: NetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrows anything thrown to an `Error`, so hooks only ever receive one type. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new NetError(NET_ERROR_CODES.HANDLER_FAILED, `handler threw a non-Error value: ${String(thrown)}`, {
    cause: thrown,
  });
}
