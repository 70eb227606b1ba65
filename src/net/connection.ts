import type { Socket } from 'node:net';
import { ByteReader } from './reader.js';
import type { TcpServer } from './server.js';
import { ByteWriter } from './writer.js';

/** One end of a TCP connection, captured at accept time so it outlives the socket. */
export interface SocketAddress {
  readonly address: string;
  readonly port: number;
  /** 'IPv4' or 'IPv6'. */
  readonly family: string;
}

/**
 * Where a connection is in its life, as the protocol layer reports it:
 *
 *   new ──markActive()──▶ active ──markIdle()──▶ idle ──markActive()──▶ active …
 *    │                      │                     │
 *    └──────────────────────┴─────────────────────┴──▶ closed   (the socket's 'close' event)
 *
 * - new: accepted, nothing reported yet. On server close it counts as idle if no byte has
 *   arrived yet, else as active (a request may be in flight the protocol has not claimed).
 * - active: a unit of work (a request) is in progress; server close lets it finish.
 * - idle: between units of work; server close closes it at once, and markIdle() while the
 *   server is closing closes it then.
 * - closed: the socket is closed; terminal, markActive/markIdle are ignored.
 * `closing` is a flag beside the state: close() was called and the FIN is on its way.
 */
export type ConnectionState = 'new' | 'active' | 'idle' | 'closed';

/**
 * After our FIN is flushed, how long the peer gets to close its side before the socket is
 * destroyed: long enough for it to read the last response, short enough not to hoard sockets.
 */
export const CLOSE_LINGER_MS = 2_000;

/** Peer aborts are how TCP connections routinely end, not faults worth reporting. */
const ROUTINE_SOCKET_ERRORS: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** One accepted socket and its lifecycle. Created by `TcpServer`; handlers receive it. */
export class Connection {
  readonly server: TcpServer;
  /** The raw socket; a protocol layer may drive it directly (e.g. 'data' events) instead of `reader`. */
  readonly socket: Socket;
  readonly clientAddress: SocketAddress;
  readonly serverAddress: SocketAddress;

  #state: ConnectionState = 'new';
  #closing = false;
  #error: Error | undefined;
  #reader: ByteReader | undefined;
  #writer: ByteWriter | undefined;
  #linger: NodeJS.Timeout | undefined;
  // What runs when the socket closes. An idle connection is mostly these few fields, so the
  // promise is made only when asked for and the callbacks share one 'close' listener.
  #closedPromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #closeCallbacks: (() => void)[] | undefined;
  readonly #forget: ((conn: Connection) => void) | undefined;
  #flushHeld: (() => void) | undefined;

  /**
   * @internal `reportError` receives socket errors that are not routine peer aborts. `addresses`
   * replaces the socket's own, when a PROXY protocol header named the real ends. `forget` is the
   * server's, called first when the socket closes.
   */
  constructor(
    server: TcpServer,
    socket: Socket,
    reportError: (err: Error, conn: Connection) => void,
    addresses?: { readonly client: SocketAddress; readonly server: SocketAddress },
    forget?: (conn: Connection) => void,
  ) {
    this.server = server;
    this.socket = socket;
    this.clientAddress = addresses?.client ?? {
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      family: socket.remoteFamily ?? '',
    };
    this.serverAddress = addresses?.server ?? {
      address: socket.localAddress ?? '',
      port: socket.localPort ?? 0,
      family: socket.localFamily ?? '',
    };
    this.#forget = forget;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#error ??= err;
      if (err.code === undefined || !ROUTINE_SOCKET_ERRORS.has(err.code)) reportError(err, this);
    });
    // 'close' is emitted once: `on` spares the wrapper `once` would make.
    socket.on('close', () => this.#onSocketClose());
  }

  /** Resolves once the socket is closed; never rejects. */
  get closed(): Promise<void> {
    if (this.#closedPromise === undefined) {
      this.#closedPromise =
        this.#state === 'closed' ? Promise.resolve() : new Promise<void>((resolve) => (this.#resolveClosed = resolve));
    }
    return this.#closedPromise;
  }

  /**
   * Runs `callback` when the socket closes, after the server has let go of the connection and
   * before `closed` resolves; on a closed connection, in a microtask. Callbacks run in the order
   * they were added. The protocol layer's cleanup hook: cheaper than a listener or a promise each.
   */
  onClose(callback: () => void): void {
    if (this.#state === 'closed') {
      queueMicrotask(callback);
      return;
    }
    (this.#closeCallbacks ??= []).push(callback);
  }

  #onSocketClose(): void {
    this.#state = 'closed';
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#forget?.(this);
    const callbacks = this.#closeCallbacks;
    this.#closeCallbacks = undefined;
    if (callbacks !== undefined) for (const callback of callbacks) callback();
    this.#resolveClosed?.();
    this.#resolveClosed = undefined;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True once close() or destroy() was called, or the socket closed. */
  get closing(): boolean {
    return this.#closing || this.#state === 'closed';
  }

  /** The first error this connection ended with (socket error, handler failure, timeout), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** A buffered reader over the socket, created on first use (it starts the socket flowing). */
  get reader(): ByteReader {
    if (this.#reader === undefined) {
      this.#reader = new ByteReader(this.socket);
      if (this.#closing) this.#reader.discard();
    }
    return this.#reader;
  }

  get writer(): ByteWriter {
    return (this.#writer ??= new ByteWriter(this.socket));
  }

  /**
   * The protocol layer holds writes of its own for a moment (the HTTP loop batches responses):
   * `flush` hands them to the socket, and `close()` calls it before the FIN, so that what was
   * written before the close is sent, whoever closes.
   */
  holdWrites(flush: () => void): void {
    this.#flushHeld = flush;
  }

  /** A unit of work (a request) started: server close will wait for it. */
  markActive(): void {
    if (this.#state === 'closed') return;
    this.#state = 'active';
  }

  /** The unit of work finished; if the server is closing, the connection closes now. */
  markIdle(): void {
    if (this.#state === 'closed') return;
    this.#state = 'idle';
    if (this.server.closing) this.close();
  }

  /**
   * Graceful close: sends FIN after everything written so far is flushed. Input is read and
   * dropped from now on, because a paused socket never sees the peer's FIN and would stay
   * half-open; if the peer has not closed CLOSE_LINGER_MS after our FIN, the socket is destroyed.
   */
  close(): void {
    if (this.closing) return;
    this.#closing = true;
    const socket = this.socket;
    this.#flushHeld?.();
    this.#reader?.discard();
    socket.resume();
    if (!socket.writableEnded) socket.end();
    if (socket.writableFinished) this.#startLinger();
    else socket.once('finish', () => this.#startLinger());
  }

  /** Abortive close. `err` is recorded as the reason, not emitted, so it is reported once. */
  destroy(err?: Error): void {
    if (err !== undefined) this.#error ??= err;
    this.#closing = true;
    this.socket.destroy();
  }

  #startLinger(): void {
    if (this.#state === 'closed' || this.#linger !== undefined) return;
    this.#linger = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    // The lingering socket is not work the process should stay alive for.
    this.#linger.unref();
  }
}
