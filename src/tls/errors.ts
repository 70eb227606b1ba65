/**
 * The TLS layer's one error type: a handshake that did not finish. Each costs only its own
 * connection, which is destroyed; the error goes to the server's `onError` hook. Only `code` is
 * API; the message never echoes the client's bytes, and OpenSSL's own error is the `cause`.
 */
import type { SocketAddress } from '../net/connection.js';

export const TLS_ERROR_CODES = {
  /** The handshake did not finish within `handshakeTimeoutMs` (a stalled or trickling client). */
  HANDSHAKE_TIMEOUT: 'TLS_HANDSHAKE_TIMEOUT',
  /** The client closed or reset the connection before the handshake finished. */
  HANDSHAKE_ABORTED: 'TLS_HANDSHAKE_ABORTED',
  /** The client spoke plain HTTP (or a proxy CONNECT) to the TLS port. */
  PLAIN_HTTP: 'TLS_PLAIN_HTTP',
  /** The client ended the handshake with an alert, e.g. it rejected our certificate (unknown CA). */
  CLIENT_ALERT: 'TLS_CLIENT_ALERT',
  /** Anything else OpenSSL refused: no common protocol version, cipher or ALPN, bad records. */
  HANDSHAKE_FAILED: 'TLS_HANDSHAKE_FAILED',
} as const;

export type TlsErrorCode = (typeof TLS_ERROR_CODES)[keyof typeof TLS_ERROR_CODES];

export class TlsHandshakeError extends Error {
  override readonly name = 'TlsHandshakeError';
  readonly code: TlsErrorCode;
  /** The client, when its address was still known when the handshake failed. */
  readonly client: SocketAddress | undefined;

  constructor(code: TlsErrorCode, message: string, options: { cause?: unknown; client?: SocketAddress } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.client = options.client;
  }
}

const REASONS: Record<TlsErrorCode, string> = {
  TLS_HANDSHAKE_TIMEOUT: 'did not finish in time',
  TLS_HANDSHAKE_ABORTED: 'was cut off by the client',
  TLS_PLAIN_HTTP: 'got plain HTTP on the TLS port',
  TLS_CLIENT_ALERT: 'was refused by the client',
  TLS_HANDSHAKE_FAILED: 'failed',
};

/** Node's and OpenSSL's error code for a failed handshake → ours. */
export function handshakeErrorCode(nodeCode: string | undefined): TlsErrorCode {
  switch (nodeCode) {
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return TLS_ERROR_CODES.HANDSHAKE_TIMEOUT;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return TLS_ERROR_CODES.HANDSHAKE_ABORTED;
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_HTTPS_PROXY_REQUEST':
      return TLS_ERROR_CODES.PLAIN_HTTP;
    default:
      // OpenSSL names a received alert ERR_SSL_{SSLV3,TLSV1,TLSV13}_ALERT_<description>.
      if (nodeCode !== undefined && /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_/.test(nodeCode)) return TLS_ERROR_CODES.CLIENT_ALERT;
      return TLS_ERROR_CODES.HANDSHAKE_FAILED;
  }
}

/** Wraps what `tlsClientError` reported into a TlsHandshakeError. */
export function handshakeError(cause: Error, client: SocketAddress | undefined): TlsHandshakeError {
  const nodeCode = (cause as NodeJS.ErrnoException).code;
  const code = handshakeErrorCode(nodeCode);
  const who = client === undefined ? 'a client' : `${client.address}:${client.port}`;
  const detail = nodeCode === undefined ? '' : ` (${nodeCode})`;
  return new TlsHandshakeError(code, `TLS handshake with ${who} ${REASONS[code]}${detail}`, { cause, client });
}
