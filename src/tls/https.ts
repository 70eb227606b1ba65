/**
 * HTTPS: the HTTP service of src/http, unchanged, on a TlsServer. The connection loop, parser and
 * response writer are the same code as over plain TCP; they parse the decrypted chunks in place.
 * The only difference a handler sees is `request.tls`.
 */
import type { ErrorInfo } from '../http/options.js';
import type { TlsInfo } from '../http/request.js';
import { HttpServer, type ServerOptions } from '../http/server.js';
import type { Connection } from '../net/connection.js';
import type { TcpServerOptions } from '../net/server.js';
import { TlsHandshakeError } from './errors.js';
import { tlsInfoOf } from './info.js';
import { TlsServer, type TlsListenerOptions } from './server.js';

export type HttpsServerOptions = ServerOptions & TlsListenerOptions;

export class HttpsServer extends HttpServer {
  declare readonly tcp: TlsServer;

  constructor(options: HttpsServerOptions) {
    super(options);
  }

  protected override createTransport(options: HttpsServerOptions, transport: TcpServerOptions): TlsServer {
    const tlsOptions: TlsListenerOptions =
      options.tls === false
        ? { tls: false }
        : {
            key: options.key,
            cert: options.cert,
            passphrase: options.passphrase,
            ca: options.ca,
            sni: options.sni,
            handshakeTimeoutMs: options.handshakeTimeoutMs,
          };
    return new TlsServer({
      ...transport,
      ...tlsOptions,
      onError: (error, conn) => {
        // A failed handshake is the client's fault, like a 4xx: the default hook leaves it out.
        if (options.onError === undefined && error instanceof TlsHandshakeError) return;
        this.service.options.onError(error, errorInfo(error, conn));
      },
    });
  }

  protected override tlsOf(conn: Connection): TlsInfo | null {
    return tlsInfoOf(conn.socket);
  }
}

/** A failed handshake has no Connection, but its error may know the client. */
function errorInfo(error: Error, conn: Connection | undefined): ErrorInfo {
  if (conn !== undefined) return { client: conn.clientAddress };
  if (error instanceof TlsHandshakeError && error.client !== undefined) return { client: error.client };
  return {};
}

/** Starts an HTTPS server and resolves once it listens. */
export async function serveHttps(options: HttpsServerOptions): Promise<HttpsServer> {
  const server = new HttpsServer(options);
  await server.listen();
  return server;
}
