/**
 * Real sockets on 127.0.0.1 for the TLS tests: servers and clients that `cleanup()` closes, a
 * plain parser for the responses that come back, and external clients (curl, openssl) run with a
 * time limit. Every wait is bounded, so a bug fails a test instead of hanging it.
 */
import { Buffer } from 'node:buffer';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { HttpServer, type ServerOptions } from '../../src/http/server.js';
import { generateCertificate, type GeneratedCertificate } from '../../src/tls/certificate.js';
import { HttpsServer } from '../../src/tls/https.js';
import { secretBits } from '../../src/tls/info.js';
import { TlsServer, type TlsServerOptions, type TlsSettings } from '../../src/tls/server.js';
import { sleep, waitFor, within } from '../net/helpers.js';

export { sleep, waitFor, within };

/** One development certificate per test file, as `seal serve` makes one per start. */
export const CERT: GeneratedCertificate = generateCertificate();

interface Closable {
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const servers = new Set<Closable>();
const sockets = new Set<net.Socket>();
const tempDirs = new Set<string>();

/** Starts `server` on a free port; `cleanup()` closes it. */
export async function started<T extends Closable & { listen(): Promise<{ port: number }> }>(server: T): Promise<{ server: T; port: number }> {
  servers.add(server);
  const { port } = await within(server.listen(), 5_000, 'listen');
  return { server, port };
}

/** An HTTPS server with CERT unless the options name other credentials. */
export function startHttps(options: ServerOptions & Partial<TlsSettings>): Promise<{ server: HttpsServer; port: number }> {
  return started(new HttpsServer({ ...options, key: options.key ?? CERT.keyPem, cert: options.cert ?? CERT.certPem }));
}

export function startHttp(options: ServerOptions): Promise<{ server: HttpServer; port: number }> {
  return started(new HttpServer(options));
}

export function startTls(options: TlsServerOptions): Promise<{ server: TlsServer; port: number }> {
  return started(new TlsServer(options));
}

/** A plain TCP client; destroyed by `cleanup()`. */
export function plainConnect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.add(socket);
  socket.on('error', () => undefined); // resets are expected in several tests; they surface as 'close'
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    }),
    5_000,
    `connect to ${port}`,
  );
}

/** A TLS client trusting CERT (unless `ca` says otherwise), resolved once the handshake is done. */
export function tlsConnect(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: CERT.certPem, ALPNProtocols: ['http/1.1'], ...options });
  sockets.add(socket);
  return within(
    new Promise<tls.TLSSocket>((resolve, reject) => {
      socket.once('secureConnect', () => {
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    5_000,
    `TLS handshake with ${port}`,
  );
}

/** What the client side of a TLS socket negotiated, in the echo app's `tls` shape. */
export function clientTlsView(socket: tls.TLSSocket): { protocol: string; cipher: string; bits: number; alpn: string | false } {
  const cipher = socket.getCipher();
  return { protocol: socket.getProtocol() ?? '', cipher: cipher.standardName, bits: secretBits(cipher.standardName), alpn: socket.alpnProtocol ?? false };
}

export interface ParsedResponse {
  status: number;
  statusLine: string;
  /** Names lower-cased, in order. */
  headers: [string, string][];
  header(name: string): string | undefined;
  body: Buffer;
}

/**
 * Complete responses at the front of `data` (Content-Length or chunked framing; 1xx skipped);
 * `headOnly` lists, per response, whether it answers a HEAD. Returns the rest unparsed.
 */
export function parseResponses(data: Buffer, headOnly: readonly boolean[] = []): { responses: ParsedResponse[]; rest: Buffer } {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const [statusLine = '', ...lines] = data.subarray(pos, end).toString('latin1').split('\r\n');
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const header = (name: string): string | undefined => headers.find(([n]) => n === name)?.[1];
    const status = Number(statusLine.split(' ')[1]);
    let bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      pos = bodyStart;
      continue;
    }
    let body: Buffer;
    if (headOnly[responses.length] === true || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      const pieces: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', bodyStart);
        if (lineEnd === -1) break;
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        if (size === 0) {
          const trailerEnd = data.indexOf('\r\n\r\n', lineEnd - 2);
          if (trailerEnd === -1) break;
          bodyStart = trailerEnd + 4;
          complete = true;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) break;
        pieces.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(pieces);
    } else {
      const length = Number(header('content-length') ?? 0);
      if (data.length < bodyStart + length) break;
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    }
    responses.push({ status, statusLine, headers, header, body });
    pos = bodyStart;
  }
  return { responses, rest: data.subarray(pos) };
}

/** Reads from `socket` until `count` complete responses arrived. */
export function readResponses(socket: net.Socket, count: number, headOnly: readonly boolean[] = [], ms = 10_000): Promise<ParsedResponse[]> {
  const chunks: Buffer[] = [];
  return within(
    new Promise<ParsedResponse[]>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        const { responses } = parseResponses(Buffer.concat(chunks), headOnly);
        if (responses.length >= count) {
          socket.off('data', onData);
          socket.off('close', onClose);
          resolve(responses);
        }
      };
      const onClose = (): void => reject(new Error(`closed after ${parseResponses(Buffer.concat(chunks), headOnly).responses.length} of ${count} responses`));
      socket.on('data', onData);
      socket.once('close', onClose);
    }),
    ms,
    `${count} responses`,
  );
}

/** Writes every request in one write and reads as many responses. */
export function exchangeKeepAlive(socket: net.Socket, requests: readonly (string | Buffer)[], headOnly: readonly boolean[] = []): Promise<ParsedResponse[]> {
  const responses = readResponses(socket, requests.length, headOnly);
  socket.write(Buffer.concat(requests.map((request) => (typeof request === 'string' ? Buffer.from(request, 'latin1') : request))));
  return responses;
}

/** Everything the client receives until its socket closes, and how long that took. */
export function receiveAll(socket: net.Socket, ms = 10_000): Promise<{ data: Buffer; error: Error | undefined; elapsedMs: number }> {
  const started = Date.now();
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (err: Error) => (error = err));
  const closed = socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return within(
    closed.then(() => ({ data: Buffer.concat(chunks), error, elapsedMs: Date.now() - started })),
    ms,
    'client socket to close',
  );
}

/** Collects what an error hook receives. */
export function errorLog(): { errors: Error[]; hook: (error: Error) => void; waitFor(count: number, what?: string): Promise<void> } {
  const errors: Error[] = [];
  return {
    errors,
    hook: (error: Error) => {
      errors.push(error);
    },
    waitFor: (count: number, what = `${count} errors at the hook`) => waitFor(() => errors.length >= count, 5_000, what),
  };
}

/** Whether an external command runs here (e.g. `curl --version`). */
export function hasCommand(command: string, args: readonly string[] = ['--version']): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 5_000 });
  return result.error === undefined && result.status === 0;
}

export interface CommandResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs an external command asynchronously (the servers live in this process), bounded in time. */
export function runCommand(command: string, args: readonly string[], input?: string | Buffer, ms = 10_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'buffer', timeout: ms, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr: stderr.toString('utf8') });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** A file in a temporary folder that `cleanup()` removes. */
export function tempFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'seal-tls-'));
  tempDirs.add(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Closes every server and client the test opened. */
export async function cleanup(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  const closing = Array.from(servers, (server) => server.close({ deadlineMs: 100 }));
  servers.clear();
  await within(Promise.all(closing), 5_000, 'servers to close');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Keeps a socket in the set `cleanup()` destroys (for sockets made by hand). */
export function track<T extends net.Socket>(socket: T): T {
  sockets.add(socket);
  socket.on('error', () => undefined);
  return socket;
}
