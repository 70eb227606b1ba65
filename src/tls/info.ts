/**
 * What a TLS connection negotiated, in the shape of the echo app's `tls` object and of the
 * `Cipher:` line that the demo and tcp-echo reports print (Python's `SSLSocket.cipher()`:
 * name, protocol, secret bits).
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { cipherLine, type TlsInfo } from '../http/request.js';
import type { Connection } from '../net/connection.js';

/**
 * The negotiated protocol, cipher (its IANA name, e.g. `TLS_AES_256_GCM_SHA384`, also under
 * TLS 1.2 where OpenSSL's own names differ), secret bits and ALPN protocol; `null` for a socket
 * that is not TLS, so one function serves plain and TLS listeners alike.
 */
export function tlsInfoOf(socket: Socket): TlsInfo | null {
  if (!(socket instanceof TLSSocket)) return null;
  // Asked after the socket closed (a handler that reads request.tls once its client has gone),
  // OpenSSL's state is gone with it: what is left to say is that it was TLS.
  const cipher = socket.getCipher() as ReturnType<TLSSocket['getCipher']> | null;
  if (cipher === null || cipher === undefined) return { protocol: 'unknown', cipher: 'unknown', bits: 0, alpn: socket.alpnProtocol ?? false };
  const name = cipher.standardName || cipher.name;
  return {
    protocol: socket.getProtocol() ?? cipher.version,
    cipher: name,
    bits: secretBits(name),
    alpn: socket.alpnProtocol ?? false,
  };
}

/**
 * The strength of the bulk cipher, as OpenSSL's SSL_CIPHER_get_bits (and so Python) reports it:
 * the key size, except 112 for triple DES. Node does not expose the number, but the IANA name
 * spells it out. 0 for a cipher this does not know.
 */
export function secretBits(standardName: string): number {
  const sized = /_(?:AES|CAMELLIA|ARIA)_(128|256)_/.exec(standardName);
  if (sized !== null) return Number(sized[1]);
  if (standardName.includes('_CHACHA20_')) return 256;
  if (standardName.includes('_3DES_')) return 112;
  return 0;
}

/** `TLS_AES_256_GCM_SHA384 TLSv1.3 256`: what follows `Cipher: ` in the demo and tcp-echo reports. */
export { cipherLine };

/**
 * The `describe` option of the tcp-echo app: a `Cipher: …` line for a TLS connection, nothing
 * for a plain one.
 */
export function describeTls(conn: Connection): string[] {
  const info = tlsInfoOf(conn.socket);
  return info === null ? [] : [`Cipher: ${cipherLine(info)}`];
}
