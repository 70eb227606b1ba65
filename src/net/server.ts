import * as net from 'node:net';
import { Connection, type SocketAddress } from './connection.js';
import { NET_ERROR_CODES, NetError } from './errors.js';
import { runConnectionHandler, type ConnectionHandler } from './handler.js';
import {
  addressesOf,
  readProxyHeader,
  resolveProxyProtocol,
  type ProxyProtocolOptions,
  type ResolvedProxyProtocol,
} from './proxy-listener.js';

export const DEFAULT_HOST = '127.0.0.1';
/**
 * Listeners turn Nagle's algorithm off on each socket as it is accepted: responses are written
 * whole, and the delay would only hold back each one's last segment. Done by the listener, on the
 * raw handle, it costs nothing more per socket; over TLS a socket's own setNoDelay() would go
 * through the TLS wrapper's proxy to the TCP handle.
 */
export const LISTENER_NO_DELAY = true;
/** Enough for a busy single process; each socket costs a file descriptor and some kernel memory. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** How long close() lets active connections finish before destroying them. */
export const DEFAULT_CLOSE_DEADLINE_MS = 5_000;
/**
 * On close(), how long a connection that has sent nothing yet may take to send its first bytes:
 * one accepted just before close() usually has its request on the way (on loopback within
 * microseconds; a lost first segment is sent again after ~200 ms).
 */
export const NEW_CONNECTION_GRACE_MS = 250;

export interface TcpServerOptions {
  /** Address to bind; `'0.0.0.0'` or `'::'` to expose the server. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to bind; 0 (the default) lets the system pick a free one. */
  port?: number;
  handler: ConnectionHandler;
  /**
   * Open connections allowed at once (default 10 000). A socket accepted beyond this is
   * destroyed at once, never reaches the handler, is counted in `rejectedConnections` and
   * reported to `onError` as TOO_MANY_CONNECTIONS.
   */
  maxConnections?: number;
  /** Destroy a socket after this long without I/O; 0 (the default) turns the timer off. */
  idleTimeoutMs?: number;
  /**
   * Keep our side open after the client's FIN, until the handler closes it (default false: the
   * socket ends with the client's). A protocol layer that answers requests sent before a FIN,
   * such as HTTP pipelining over shutdown(SHUT_WR), turns it on.
   */
  allowHalfOpen?: boolean;
  /**
   * Receives listener errors (no `conn`), handler failures, non-routine socket errors and
   * rejected sockets. Default: one line to stderr. Must not throw; if it does, the default runs.
   */
  onError?: (err: Error, conn?: Connection) => void;
  /**
   * Every connection starts with a PROXY protocol header (v1 or v2, as HAProxy and nginx's
   * stream module send it), read before anything else — before the TLS handshake on a TLS
   * listener. The connection's `clientAddress`/`serverAddress` become the header's (the socket's
   * own for LOCAL, UNKNOWN and non-IP families). A socket without a valid header in time, or
   * from a peer outside `trusted`, is closed and reported to `onError`. Default off.
   */
  proxyProtocol?: boolean | ProxyProtocolOptions;
}

type ProxiedAddresses = { readonly client: SocketAddress; readonly server: SocketAddress };

export interface CloseOptions {
  /** Destroy whatever is still open after this long. Default 5 000 ms. */
  deadlineMs?: number;
}

function writeErrorToStderr(err: Error): void {
  process.stderr.write(`seal: ${err.stack ?? err.message}\n`);
}

/**
 * A TCP server that hands each accepted socket, wrapped in a `Connection`, to a stream handler.
 * It knows nothing about the protocol spoken; the protocol layer reports its progress through
 * `Connection.markActive()`/`markIdle()` so that `close()` can be graceful.
 *
 * Subclasses change how sockets are accepted (e.g. TLS) by overriding `createListener` only.
 */
export class TcpServer {
  readonly host: string;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly allowHalfOpen: boolean;

  readonly #requestedPort: number;
  readonly #handler: ConnectionHandler;
  readonly #onError: (err: Error, conn?: Connection) => void;
  readonly #proxyProtocol: ResolvedProxyProtocol | null;
  /**
   * Addresses from PROXY headers, by the socket's own four-tuple (unique while it is open): a TLS
   * listener hands #accept its TLS socket, not the raw one the header was read from.
   */
  readonly #proxied = new Map<string, ProxiedAddresses>();
  /** Sockets still waiting for their PROXY header; close() destroys them at once. */
  readonly #awaitingHeader = new Set<net.Socket>();

  readonly #connections = new Set<Connection>();
  /** Every socket the listener accepted, including ones not (yet) wrapped, e.g. in a TLS handshake. */
  readonly #sockets = new Set<net.Socket>();
  #listener: net.Server | undefined;
  #listening: Promise<SocketAddress> | undefined;
  #address: SocketAddress | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #rejected = 0;

  constructor(options: TcpServerOptions) {
    this.host = options.host ?? DEFAULT_HOST;
    this.#requestedPort = options.port ?? 0;
    this.#handler = options.handler;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.allowHalfOpen = options.allowHalfOpen ?? false;
    this.#onError = options.onError ?? writeErrorToStderr;
    this.#proxyProtocol = resolveProxyProtocol(options.proxyProtocol);
  }

  /** Open connections, for tests and protocol layers (e.g. to count or inspect them). */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Sockets destroyed on accept because `maxConnections` were open. */
  get rejectedConnections(): number {
    return this.#rejected;
  }

  /** True from the moment close() is called. */
  get closing(): boolean {
    return this.#closing;
  }

  /** The bound address once listening (port 0 resolved to the real port). */
  get address(): SocketAddress | undefined {
    return this.#address;
  }

  /**
   * Creates the listening socket, calling `onSocket` for each connection ready to be served.
   * The one place a subclass overrides: a TLS server returns `tls.createServer(...)` and calls
   * `onSocket` on 'secureConnection'. The server also watches the listener's 'connection' event
   * to track raw sockets, so `close()` can destroy those still handshaking.
   */
  protected createListener(onSocket: (socket: net.Socket) => void): net.Server {
    return net.createServer({ allowHalfOpen: this.allowHalfOpen, noDelay: LISTENER_NO_DELAY }, onSocket);
  }

  /** Binds and starts accepting. Rejects on bind errors (EADDRINUSE, EACCES, …). */
  listen(): Promise<SocketAddress> {
    if (this.#listening !== undefined || this.#closing) {
      return Promise.reject(new NetError(NET_ERROR_CODES.SERVER_STATE, 'listen() on a server that is listening or closed'));
    }
    const protocolListener = this.createListener((socket) => this.#accept(socket));
    // With the PROXY protocol, a plain listener reads the header and then hands the socket to
    // the protocol's listener (plain or TLS), which is never bound itself.
    const proxy = this.#proxyProtocol;
    const listener =
      proxy === null
        ? protocolListener
        : net.createServer({ allowHalfOpen: this.allowHalfOpen, noDelay: LISTENER_NO_DELAY }, (socket) =>
            this.#readProxyHeader(socket, proxy, protocolListener),
          );
    const sockets = this.#sockets;
    // One function for every socket ('close' comes once, with the socket as `this`): nothing
    // allocated per connection beyond the set entry.
    const untrack = function (this: net.Socket): void {
      sockets.delete(this);
    };
    listener.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', untrack);
    });
    this.#listener = listener;
    this.#listening = new Promise<SocketAddress>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        listener.off('listening', onListening);
        // Nothing was bound, so the server may try listen() again (e.g. after EADDRINUSE).
        this.#listener = undefined;
        this.#listening = undefined;
        reject(err);
      };
      const onListening = (): void => {
        listener.off('error', onBindError);
        listener.on('error', (err: Error) => this.#report(err));
        const bound = listener.address();
        if (bound === null || typeof bound === 'string') {
          reject(new NetError(NET_ERROR_CODES.SERVER_STATE, 'listener is not bound to a TCP address'));
          return;
        }
        this.#address = { address: bound.address, port: bound.port, family: bound.family };
        resolve(this.#address);
      };
      listener.once('error', onBindError);
      listener.once('listening', onListening);
      listener.listen({ host: this.host, port: this.#requestedPort });
    });
    return this.#listening;
  }

  /**
   * Graceful shutdown: stops accepting at once, closes idle connections now and the others as
   * they become idle or their handler settles, destroys what is left at the deadline. Resolves
   * when the listener and every socket are closed, so the port can be bound again at once.
   * Idempotent: later calls return the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#shutdown(options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS);
    return this.#closed;
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    // Stop accepting before anything counts as closing: a socket accepted in between would be
    // refused by #accept after the client saw its connection established (a reset, not a refusal).
    let listenerClosed = this.#address === undefined ? undefined : this.#closeListener();
    this.#closing = true;
    if (listenerClosed === undefined) {
      // A bind in flight must finish before the listener can be closed; a failed one left nothing.
      await this.#listening?.catch(() => undefined);
      listenerClosed = this.#closeListener();
    }
    for (const socket of this.#awaitingHeader) socket.destroy();
    let graceTimer: NodeJS.Timeout | undefined;
    for (const conn of this.#connections) {
      if (conn.state === 'idle') conn.close();
    }
    // A connection accepted a moment ago may have its first request on the way: it gets a short
    // grace to send it (then it is served, and closed after the response), else it is closed.
    if (Array.from(this.#connections).some(isIdle)) {
      graceTimer = setTimeout(() => {
        for (const conn of this.#connections) if (isIdle(conn)) conn.close();
      }, NEW_CONNECTION_GRACE_MS);
    }
    const allClosed = Promise.all([listenerClosed, ...Array.from(this.#connections, (conn) => conn.closed)]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([allClosed.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    clearTimeout(graceTimer);
    if (outcome === 'deadline') {
      for (const conn of this.#connections) {
        conn.destroy(new NetError(NET_ERROR_CODES.CLOSE_DEADLINE, `still open ${deadlineMs} ms after close()`));
      }
      for (const socket of this.#sockets) socket.destroy();
      await allClosed;
    }
  }

  /** Closes the listening socket; resolves once it and every socket it accepted are closed. */
  #closeListener(): Promise<void> {
    const listener = this.#listener;
    // net.Server#close calls back only once every socket it accepted has closed, too.
    return listener === undefined ? Promise.resolve() : new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    if (this.#closing || socket.destroyed || socket.remoteAddress === undefined) {
      // Closing, or the peer already went away before we got to it: nothing to serve.
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.maxConnections) {
      this.#rejected++;
      const client = `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
      socket.destroy();
      this.#report(
        new NetError(NET_ERROR_CODES.TOO_MANY_CONNECTIONS, `rejected ${client}: ${this.maxConnections} connections open`),
      );
      return;
    }
    const conn = new Connection(
      this,
      socket,
      this.#reportFor,
      this.#proxied.size === 0 ? undefined : this.#proxied.get(fourTuple(socket)),
      this.#forget,
    );
    this.#connections.add(conn);
    if (this.idleTimeoutMs > 0) {
      socket.setTimeout(this.idleTimeoutMs);
      socket.once('timeout', () =>
        conn.destroy(new NetError(NET_ERROR_CODES.IDLE_TIMEOUT, `no I/O for ${this.idleTimeoutMs} ms`)),
      );
    }
    runConnectionHandler(this.#handler, conn, this.#reportFor);
  }

  #readProxyHeader(socket: net.Socket, proxy: ResolvedProxyProtocol, protocolListener: net.Server): void {
    if (this.#closing || socket.destroyed || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    const peer = `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
    if (proxy.trusted !== null && !proxy.trusted.matches(socket.remoteAddress)) {
      socket.destroy();
      this.#report(new NetError(NET_ERROR_CODES.PROXY_PEER_UNTRUSTED, `closed ${peer}: not a trusted PROXY protocol sender`));
      return;
    }
    this.#awaitingHeader.add(socket);
    readProxyHeader(socket, proxy.timeoutMs, (result) => {
      this.#awaitingHeader.delete(socket);
      if (result === null) {
        socket.destroy();
        return;
      }
      if (result instanceof NetError) {
        socket.destroy();
        this.#report(new NetError(result.code, `closed ${peer}: ${result.message}`, { cause: result }));
        return;
      }
      if (this.#closing || socket.destroyed) {
        socket.destroy();
        return;
      }
      const addresses = addressesOf(result);
      if (addresses !== null) {
        const key = fourTuple(socket);
        this.#proxied.set(key, addresses);
        socket.once('close', () => this.#proxied.delete(key));
      }
      // After the 'readable' listener's removal has settled (Node re-evaluates the flowing mode
      // on the next tick), so the next reader finds the socket as a fresh one.
      process.nextTick(() => {
        if (socket.destroyed) return;
        protocolListener.emit('connection', socket);
      });
    });
  }

  // Made once per server and shared by its connections.
  readonly #reportFor = (err: Error, conn: Connection): void => this.#report(err, conn);
  readonly #forget = (conn: Connection): void => void this.#connections.delete(conn);

  #report(err: Error, conn?: Connection): void {
    try {
      this.#onError(err, conn);
    } catch (hookFailure) {
      writeErrorToStderr(err);
      writeErrorToStderr(hookFailure instanceof Error ? hookFailure : new Error(String(hookFailure)));
    }
  }
}

function fourTuple(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}

/** Whether close() may close `conn` now without cutting off work in progress. */
function isIdle(conn: Connection): boolean {
  // A new connection with no byte received has no request in flight; one with bytes might.
  return conn.state === 'idle' || (conn.state === 'new' && conn.socket.bytesRead === 0);
}
