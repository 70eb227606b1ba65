/**
 * Reading the PROXY protocol header off a freshly accepted socket, before any protocol (plain or
 * TLS) sees it: the bytes after the header go back into the socket (`unshift`), so whoever reads
 * next — the HTTP loop, or node:tls's handshake — starts exactly where the header ended.
 */
import type * as net from 'node:net';
import type { SocketAddress } from './connection.js';
import { NET_ERROR_CODES, NetError } from './errors.js';
import { AddressMatcher } from './ip.js';
import { ProxyHeaderParser, type ProxyHeader } from './proxy-protocol.js';

/**
 * §1 of the specification suggests "at least 3 seconds to cover a TCP retransmit"; a balancer
 * sends the header at once on connecting, so 5 s only ever runs out on something else.
 */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;

export interface ProxyProtocolOptions {
  /**
   * Addresses and CIDR blocks (`'10.0.0.0/8'`, `'::1'`, `'loopback'`) allowed to connect and send
   * the header. A peer outside the list is closed unread (PROXY_PEER_UNTRUSTED). Default: any
   * peer — then only a firewall keeps clients from naming any address they like.
   */
  trusted?: readonly string[];
  /** A complete header must arrive within this long of accepting, else the socket is closed. */
  timeoutMs?: number;
}

export interface ResolvedProxyProtocol {
  readonly trusted: AddressMatcher | null;
  readonly timeoutMs: number;
}

export function resolveProxyProtocol(option: boolean | ProxyProtocolOptions | undefined): ResolvedProxyProtocol | null {
  if (option === undefined || option === false) return null;
  const settings: ProxyProtocolOptions = option === true ? {} : option;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError('proxyProtocol.timeoutMs must be a positive number');
  return {
    trusted: settings.trusted === undefined ? null : new AddressMatcher(settings.trusted),
    timeoutMs,
  };
}

/** The connection's ends as the header names them, or null to keep the socket's (LOCAL, UNKNOWN, …). */
export function addressesOf(header: ProxyHeader): { client: SocketAddress; server: SocketAddress } | null {
  if (header.source === null || header.destination === null) return null;
  return { client: { ...header.source }, server: { ...header.destination } };
}

/**
 * Reads the header from `socket` and calls `done` once: with the header (the rest of the bytes
 * unshifted, the socket left paused for the next reader), or with an error (the socket is then
 * destroyed by the caller). A socket that closes inside the header gets PROXY_HEADER_INCOMPLETE;
 * one that closes before sending a byte gets null: that is how a balancer's TCP health check
 * looks, and not worth a report.
 */
export function readProxyHeader(socket: net.Socket, timeoutMs: number, done: (result: ProxyHeader | NetError | null) => void): void {
  const parser = new ProxyHeaderParser();
  let received = 0;
  let settled = false;
  const finish = (result: ProxyHeader | NetError | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', ignore);
    done(result);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (!settled && (chunk = socket.read() as Buffer | null) !== null) {
      received += chunk.length;
      const used = parser.execute(chunk, 0, chunk.length);
      if (parser.error !== null) return finish(parser.error);
      if (parser.header !== null) {
        if (used < chunk.length) socket.unshift(chunk.subarray(used));
        return finish(parser.header);
      }
    }
  };
  const onEnd = (): void =>
    finish(received === 0 ? null : (parser.finish() ?? new NetError(NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE, 'connection ended')));
  // A reset before the header is routine; 'close' follows and ends the wait.
  const ignore = (): void => undefined;
  const timer = setTimeout(
    () => finish(new NetError(NET_ERROR_CODES.PROXY_HEADER_TIMEOUT, `no complete PROXY header within ${timeoutMs} ms`)),
    timeoutMs,
  );
  socket.on('readable', onReadable);
  socket.once('end', onEnd);
  socket.once('close', onEnd);
  socket.on('error', ignore);
}
