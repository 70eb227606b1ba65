/**
 * A TcpServer whose listener speaks TLS: node:tls does the handshake, and the decrypted socket
 * goes to the very same stream handler a plain listener would give it. Only `createListener`
 * differs; connections, limits, timers and graceful close are TcpServer's.
 */
import type { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { SocketAddress } from '../net/connection.js';
import { LISTENER_NO_DELAY, TcpServer, type TcpServerOptions } from '../net/server.js';
import { handshakeError } from './errors.js';

/** The classic development ports: plain HTTP on 8000, HTTPS on 8003. */
export const DEFAULT_HTTP_PORT = 8000;
export const DEFAULT_HTTPS_PORT = 8003;
/**
 * A handshake is two round trips and some signing; 10 s covers a slow mobile link, and a client
 * that has not finished by then is stalling. (Node's own default is 120 s.)
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** The longest handshake timeout accepted: Node's default, past which it only shelters stallers. */
export const MAX_HANDSHAKE_TIMEOUT_MS = 120_000;
/** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
export const MIN_TLS_VERSION = 'TLSv1.2';
/** What this server speaks after the handshake; a client offering only h2 is refused (RFC 7301 §3.2). */
export const ALPN_PROTOCOLS: readonly string[] = ['http/1.1'];

/** PEM text (a string containing `-----BEGIN`, or a Buffer), or the path of a PEM file. */
export type PemSource = string | Buffer;

export interface TlsCredentials {
  /** The private key, PEM. */
  key: PemSource;
  /** The certificate, PEM, optionally followed by its intermediates. */
  cert: PemSource;
  /** Decrypts an encrypted `key`. */
  passphrase?: string;
}

export interface TlsSettings extends TlsCredentials {
  /** Certificates to build the chain sent to clients from, besides those in `cert`. */
  ca?: PemSource | readonly PemSource[];
  /**
   * Other certificates, by the host name clients ask for (SNI): `'example.com'` or one level of
   * wildcard, `'*.example.com'`. A name not listed gets the main `key`/`cert`.
   */
  sni?: Readonly<Record<string, TlsCredentials>>;
  /**
   * A client must finish the handshake this long after connecting, else it is disconnected and
   * reported as TLS_HANDSHAKE_TIMEOUT. Default 10 000; at most 120 000.
   */
  handshakeTimeoutMs?: number;
}

/** TLS settings, or `tls: false` for a plain listener with the same options (certificates unused). */
export type TlsListenerOptions = ({ tls?: true } & TlsSettings) | ({ tls: false } & Partial<TlsSettings>);

export type TlsServerOptions = TcpServerOptions & TlsListenerOptions;

interface ResolvedTls {
  readonly credentials: tls.SecureContextOptions;
  readonly sni: ReadonlyMap<string, tls.SecureContext>;
}

function writeErrorToStderr(err: Error): void {
  process.stderr.write(`seal: ${err.stack ?? err.message}\n`);
}

/** TcpServer's default hook, but a failed handshake is a client's doing: one line, no stack. */
function writeHandshakeErrorToStderr(err: Error): void {
  process.stderr.write(`seal: ${err.message}\n`);
}

/**
 * A TcpServer over TLS. A handshake that fails — plain HTTP on the TLS port, a client stalling or
 * hanging up mid-handshake, a client refusing the certificate — costs only its own socket: the
 * socket is destroyed and a TlsHandshakeError goes to `onError`. Such sockets never reach the
 * handler, and do not count against `maxConnections` until their handshake is done.
 */
export class TlsServer extends TcpServer {
  /** False when built with `tls: false`: then this is a plain TcpServer. */
  readonly tls: boolean;
  readonly handshakeTimeoutMs: number;

  readonly #resolved: ResolvedTls | undefined;
  /** Where failed handshakes go (the rest goes through TcpServer's own reporting). */
  readonly #onError: (err: Error) => void;
  #failedHandshakes = 0;

  /** Reads and checks the certificates now, so a bad key or file fails here rather than at listen(). */
  constructor(options: TlsServerOptions) {
    super(options);
    this.tls = options.tls !== false;
    this.handshakeTimeoutMs = handshakeTimeout(options.handshakeTimeoutMs);
    this.#onError = options.onError ?? writeHandshakeErrorToStderr;
    this.#resolved = options.tls === false ? undefined : resolveTls(options);
  }

  /** Handshakes that failed (and were reported to `onError`) since the server started. */
  get failedHandshakes(): number {
    return this.#failedHandshakes;
  }

  protected override createListener(onSocket: (socket: net.Socket) => void): net.Server {
    const resolved = this.#resolved;
    if (resolved === undefined) return super.createListener(onSocket);
    const { sni } = resolved;
    const listener = tls.createServer(
      {
        ...resolved.credentials,
        // Half-open only once the handshake is done: a client that sends FIN mid-handshake can
        // never finish it, and must cost its socket now rather than at the handshake timeout.
        allowHalfOpen: false,
        noDelay: LISTENER_NO_DELAY,
        minVersion: MIN_TLS_VERSION,
        ALPNProtocols: [...ALPN_PROTOCOLS],
        handshakeTimeout: this.handshakeTimeoutMs,
        ...(sni.size > 0 ? { SNICallback: (servername, done) => done(null, contextFor(sni, servername)) } : {}),
      },
      (socket: tls.TLSSocket) => {
        // Set before any application data is read: 'secureConnection' comes first.
        socket.allowHalfOpen = this.allowHalfOpen;
        onSocket(socket);
      },
    );
    listener.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => this.#handshakeFailed(err, socket));
    return listener;
  }

  #handshakeFailed(err: Error, socket: tls.TLSSocket): void {
    const client: SocketAddress | undefined =
      socket.remoteAddress === undefined
        ? undefined
        : { address: socket.remoteAddress, port: socket.remotePort ?? 0, family: socket.remoteFamily ?? '' };
    // Node destroys the socket after most handshake errors but leaves it open after its own
    // handshake timeout; either way the socket is done for.
    socket.destroy();
    this.#failedHandshakes++;
    try {
      this.#onError(handshakeError(err, client));
    } catch (hookFailure) {
      writeErrorToStderr(hookFailure instanceof Error ? hookFailure : new Error(String(hookFailure)));
    }
  }
}

/**
 * Node arms its handshake timer with socket.setTimeout, which only application data re-arms; none
 * flows before the handshake is done, so the timeout bounds the whole handshake, including a
 * client that trickles its ClientHello a byte at a time.
 */
function handshakeTimeout(ms: number | undefined): number {
  const value = ms ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isFinite(value) || value <= 0 || value > MAX_HANDSHAKE_TIMEOUT_MS) {
    throw new RangeError(`handshakeTimeoutMs must be above 0 and at most ${MAX_HANDSHAKE_TIMEOUT_MS}`);
  }
  return value;
}

function resolveTls(settings: TlsSettings): ResolvedTls {
  const credentials: tls.SecureContextOptions = {
    ...credentialsOf(settings, 'the'),
    ...(settings.ca === undefined
      ? {}
      : { ca: (Array.isArray(settings.ca) ? settings.ca : [settings.ca]).map((ca: PemSource) => readPem(ca, 'CA certificate')) }),
  };
  // Fails now on a key that does not match its certificate, a wrong passphrase, bad PEM.
  tls.createSecureContext(credentials);
  const sni = new Map<string, tls.SecureContext>();
  for (const [hostname, entry] of Object.entries(settings.sni ?? {})) {
    sni.set(normalizeHostname(hostname), tls.createSecureContext(credentialsOf(entry, `the '${hostname}'`)));
  }
  return { credentials, sni };
}

function credentialsOf(entry: TlsCredentials, whose: string): tls.SecureContextOptions {
  return {
    key: readPem(entry.key, `${whose} key`),
    cert: readPem(entry.cert, `${whose} certificate`),
    ...(entry.passphrase === undefined ? {} : { passphrase: entry.passphrase }),
  };
}

/** PEM text as is; anything else is a file path, read once at start. */
function readPem(source: PemSource, what: string): string | Buffer {
  if (typeof source !== 'string' || source.includes('-----BEGIN')) return source;
  try {
    return readFileSync(source);
  } catch (err) {
    throw new Error(`cannot read ${what} from '${source}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Host names compare case-insensitively, and a trailing dot names the same host (RFC 6066 §3). */
function normalizeHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** The exact name's context, else a wildcard one level up; undefined means the default context. */
function contextFor(sni: ReadonlyMap<string, tls.SecureContext>, servername: string): tls.SecureContext | undefined {
  const name = normalizeHostname(servername);
  const exact = sni.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? sni.get(`*${name.slice(dot)}`) : undefined;
}
