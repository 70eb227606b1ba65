/**
 * An HTTP/1.1 server: a TcpServer whose connections run the HTTP connection loop, and one timer
 * that checks every connection's deadlines (a timer per connection would cost more than the
 * requests it guards).
 */
import type { Connection } from '../net/connection.js';
import type { ConnectionHandler } from '../net/handler.js';
import type { ProxyProtocolOptions } from '../net/proxy-listener.js';
import { TcpServer, type CloseOptions, type TcpServerOptions } from '../net/server.js';
import { HttpConnection } from './connection.js';
import { resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions } from './options.js';
import type { Address, RequestContext, TlsInfo } from './request.js';
import type { AddressMatcher } from '../net/ip.js';

export interface ServerOptions extends HttpOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Connections open at once; beyond it, new sockets are closed on accept. Default 10 000. */
  maxConnections?: number;
  /**
   * Every connection starts with a PROXY protocol header (v1 or v2) from a balancer such as
   * HAProxy or nginx's stream module; the connection's addresses become the header's. See
   * TcpServerOptions.proxyProtocol. Default off.
   */
  proxyProtocol?: boolean | ProxyProtocolOptions;
}

/**
 * What every request on one connection shares. The TLS parameters are asked of the socket only
 * when a handler reads `request.tls`: each is a call into OpenSSL, which a new connection that
 * only says hello would pay for nothing.
 */
class ConnectionContext implements RequestContext {
  readonly client: Address;
  readonly server: Address;
  readonly maxBodyBytes: number;
  readonly trustProxy: AddressMatcher | null;
  #tls: TlsInfo | null | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly tlsOf: (conn: Connection) => TlsInfo | null,
    maxBodyBytes: number,
    trustProxy: AddressMatcher | null,
  ) {
    this.client = conn.clientAddress;
    this.server = conn.serverAddress;
    this.maxBodyBytes = maxBodyBytes;
    this.trustProxy = trustProxy;
  }

  get tls(): TlsInfo | null {
    if (this.#tls === undefined) this.#tls = this.tlsOf(this.conn);
    return this.#tls;
  }
}

/** Runs HTTP on connections accepted by any TcpServer (plain, or TLS through `tlsInfo`). */
export class HttpService {
  readonly options: ResolvedHttpOptions;
  private readonly live = new Set<HttpConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly tlsInfo: (conn: Connection) => TlsInfo | null;

  constructor(options: HttpOptions, tlsInfo: (conn: Connection) => TlsInfo | null = () => null) {
    this.options = resolveHttpOptions(options);
    this.tlsInfo = tlsInfo;
  }

  /** The stream handler to give a TcpServer. */
  readonly handler: ConnectionHandler = (conn: Connection): void => {
    const trust = this.options.trustProxy;
    const http = new HttpConnection(
      conn,
      this.options,
      new ConnectionContext(
        conn,
        this.tlsInfo,
        this.options.maxBodyBytes,
        // Decided once per connection: a peer that is not a trusted proxy has its headers ignored.
        trust !== null && trust.matches(conn.clientAddress.address) ? trust : null,
      ),
    );
    this.live.add(http);
    conn.onClose(() => {
      http.onClose();
      this.live.delete(http);
    });
    this.startSweeping();
  };

  /** Closes idle connections now; the others close when their request is answered. */
  shutdown(): void {
    for (const http of this.live) http.shutdown();
  }

  stop(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private startSweeping(): void {
    if (this.sweeper !== undefined) return;
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = this.options;
    // Deadlines are checked at a quarter of the shortest timeout, at most once a second.
    const every = Math.max(5, Math.min(1000, Math.min(headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs) / 4));
    this.sweeper = setInterval(() => {
      if (this.live.size === 0) return this.stop();
      const now = Date.now();
      for (const http of this.live) http.checkTimeouts(now);
    }, every);
    this.sweeper.unref();
  }
}

export class HttpServer {
  readonly tcp: TcpServer;
  readonly service: HttpService;

  constructor(options: ServerOptions) {
    this.service = new HttpService(options, (conn) => this.tlsOf(conn));
    this.tcp = this.createTransport(options, {
      host: options.host,
      port: options.port,
      maxConnections: options.maxConnections,
      proxyProtocol: options.proxyProtocol,
      handler: this.service.handler,
      // The connection loop answers what a client sent before its FIN, then closes.
      allowHalfOpen: true,
      onError: (error, conn) => this.service.options.onError(error, conn ? { client: conn.clientAddress } : {}),
    });
  }

  /** The TCP server the HTTP service runs on; HTTPS returns a TLS one (the only thing it changes). */
  protected createTransport(_options: ServerOptions, transport: TcpServerOptions): TcpServer {
    return new TcpServer(transport);
  }

  /** What a connection negotiated over TLS: nothing, on plain TCP. */
  protected tlsOf(_conn: Connection): TlsInfo | null {
    return null;
  }

  /** Binds; resolves with the bound address (the real port when 0 was asked for). */
  listen(): Promise<Address> {
    return this.tcp.listen();
  }

  get address(): Address | undefined {
    return this.tcp.address;
  }

  /**
   * Graceful stop: no new connections, requests in flight finish (their responses say
   * `Connection: close`), idle keep-alive connections close now, the rest are destroyed at the
   * deadline. Resolves when the port is free.
   */
  async close(options?: CloseOptions): Promise<void> {
    const closed = this.tcp.close(options);
    this.service.shutdown();
    await closed;
    this.service.stop();
  }
}

/** Starts an HTTP server and resolves once it listens. */
export async function serve(options: ServerOptions): Promise<HttpServer> {
  const server = new HttpServer(options);
  await server.listen();
  return server;
}
