/**
 * Shared machinery of the end-to-end tests: servers that are always closed, raw loopback
 * clients that record every byte and every read, and a small HTTP/1.1 response reader that
 * splits what a raw client received into responses, byte-exactly. Every wait is bounded, so a
 * bug fails a test instead of hanging the run.
 */
import { Buffer } from 'node:buffer';
import * as net from 'node:net';
import { serve, type HttpServer, type ServerOptions } from '../../src/http/server.js';
import { sleep, waitFor, within } from '../support/waits.js';

export { sleep, waitFor, within };

// --- servers ------------------------------------------------------------------------------------

const servers = new Set<HttpServer>();
const clients = new Set<net.Socket>();

/** Starts a server on 127.0.0.1 and a free port; `cleanup()` closes it. */
export async function startServer(options: ServerOptions): Promise<{ server: HttpServer; port: number }> {
  const server = await within(serve({ port: 0, ...options }), 5_000, 'listen');
  servers.add(server);
  const port = server.address?.port;
  if (port === undefined) throw new Error('the server has no address');
  return { server, port };
}

/** Forgets a server a test closed itself. */
export function untrack(server: HttpServer): void {
  servers.delete(server);
}

/** For afterEach: destroys every raw client and closes every server. */
export async function cleanup(): Promise<void> {
  for (const socket of clients) socket.destroy();
  clients.clear();
  const closing = Array.from(servers, (server) => server.close({ deadlineMs: 200 }));
  servers.clear();
  await within(Promise.all(closing), 5_000, 'servers to close');
}

// --- raw clients --------------------------------------------------------------------------------

/** A raw loopback client that records what it receives and how (reads, FIN, close). */
export class RawClient {
  readonly socket: net.Socket;
  private readonly chunks: Buffer[] = [];
  private length = 0;
  /** 'data' events seen: one per read the client's socket made. */
  reads = 0;
  /** The server's FIN arrived. */
  ended = false;
  closed = false;
  error: Error | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.reads++;
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (err: Error) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  static connect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false });
    socket.setNoDelay(true);
    clients.add(socket);
    const client = new RawClient(socket);
    return within(
      new Promise<RawClient>((resolve, reject) => {
        socket.once('connect', () => resolve(client));
        socket.once('error', reject);
      }),
      5_000,
      `connect to ${port}`,
    );
  }

  get port(): number {
    return this.socket.localPort ?? 0;
  }

  write(data: string | Uint8Array): void {
    if (typeof data === 'string') this.socket.write(data, 'latin1');
    else this.socket.write(data);
  }

  /** Sends `data` one byte per write, yielding to the event loop between writes. */
  async writeBytewise(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    for (let i = 0; i < bytes.length; i++) {
      this.socket.write(bytes.subarray(i, i + 1));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Everything received so far. */
  data(): Buffer {
    if (this.chunks.length > 1) {
      const whole = Buffer.concat(this.chunks, this.length);
      this.chunks.length = 0;
      this.chunks.push(whole);
    }
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  text(): string {
    return this.data().toString('latin1');
  }

  /** Waits until `condition` holds, re-checked at every read, FIN and close. */
  until(condition: () => boolean, ms: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    let listener: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      listener = () => {
        if (condition()) resolve();
      };
      this.listeners.add(listener);
    });
    return within(done, ms, what).finally(() => this.listeners.delete(listener));
  }

  /** Waits for `n` complete responses (`noBody(i)`: the i-th answers a HEAD) and returns them. */
  async responses(n: number, ms = 5_000, noBody: (index: number) => boolean = () => false): Promise<HttpResponse[]> {
    let parsed: HttpResponse[] = [];
    await this.until(
      () => {
        parsed = parseResponses(this.data(), { closed: this.ended || this.closed, noBody }).responses;
        return parsed.length >= n || this.closed;
      },
      ms,
      `${n} responses`,
    );
    if (parsed.length < n) {
      throw new Error(`the connection closed after ${parsed.length} of ${n} responses: ${JSON.stringify(this.text().slice(0, 400))}`);
    }
    return parsed;
  }

  /** Waits for the server's FIN (or a reset). */
  async serverEnded(ms = 5_000): Promise<void> {
    await this.until(() => this.ended || this.closed, ms, 'the server to close the connection');
  }

  /** Waits until the socket is fully closed; ends our side first once the server's FIN came. */
  async fullyClosed(ms = 5_000): Promise<void> {
    await this.serverEnded(ms);
    this.socket.end();
    await this.until(() => this.closed, ms, 'the socket to close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

// --- reading responses --------------------------------------------------------------------------

export interface HttpResponse {
  version: string;
  status: number;
  reason: string;
  /** Header fields as received, in order. */
  headers: [string, string][];
  /** The body after transfer decoding. */
  body: Buffer;
  /** How the body was delimited. */
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** The response's exact bytes, head and body, as they were on the wire. */
  raw: Buffer;
}

/** The first value of a header field (any case). */
export function header(response: HttpResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return response.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** Every value of a header field (any case). */
export function headerAll(response: HttpResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return response.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/**
 * Splits `data` into complete responses: interim (1xx) responses are returned too, as their own
 * entries. `closed`: the connection has ended, so a close-delimited body is complete.
 * `noBody(i)`: the i-th final response answers a HEAD request.
 */
export function parseResponses(
  data: Buffer,
  options: { closed?: boolean; noBody?: (finalIndex: number) => boolean } = {},
): { responses: HttpResponse[]; rest: Buffer } {
  const responses: HttpResponse[] = [];
  let pos = 0;
  let finals = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) break;
    const lines = data.toString('latin1', pos, headEnd).split('\r\n');
    const statusLine = /^HTTP\/(\d\.\d) (\d{3}) (.*)$/.exec(lines[0] ?? '');
    if (statusLine === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const headers: [string, string][] = lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`not a field line: ${JSON.stringify(line)}`);
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const status = Number(statusLine[2]);
    const bodyStart = headEnd + 4;
    const base = { version: statusLine[1]!, status, reason: statusLine[3]!, headers };
    const find = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    if (status < 200) {
      responses.push({ ...base, body: Buffer.alloc(0), framing: 'none', raw: data.subarray(pos, bodyStart) });
      pos = bodyStart;
      continue;
    }
    const isHead = options.noBody?.(finals) ?? false;
    let end: number;
    let body: Buffer;
    let framing: HttpResponse['framing'];
    const contentLength = find('content-length');
    if (isHead || status === 204 || status === 304) {
      end = bodyStart;
      body = Buffer.alloc(0);
      framing = 'none';
    } else if (find('transfer-encoding')?.toLowerCase() === 'chunked') {
      const decoded = decodeChunked(data, bodyStart);
      if (decoded === null) break;
      ({ end, body } = decoded);
      framing = 'chunked';
    } else if (contentLength !== undefined) {
      end = bodyStart + Number(contentLength);
      if (end > data.length) break;
      body = data.subarray(bodyStart, end);
      framing = 'length';
    } else {
      if (options.closed !== true) break;
      end = data.length;
      body = data.subarray(bodyStart);
      framing = 'close';
    }
    responses.push({ ...base, body, framing, raw: data.subarray(pos, end) });
    finals++;
    pos = end;
  }
  return { responses, rest: data.subarray(pos) };
}

function decodeChunked(data: Buffer, start: number): { end: number; body: Buffer } | null {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos, 'latin1');
    if (lineEnd < 0) return null;
    const line = data.toString('latin1', pos, lineEnd);
    if (!/^[0-9a-f]+$/i.test(line)) throw new Error(`not a chunk size line: ${JSON.stringify(line)}`);
    const size = parseInt(line, 16);
    pos = lineEnd + 2;
    if (size === 0) {
      // No trailers from Seal: the last chunk is followed by the empty line.
      if (data.length < pos + 2) return null;
      if (data.toString('latin1', pos, pos + 2) !== '\r\n') throw new Error('trailers after the last chunk');
      return { end: pos + 2, body: Buffer.concat(parts) };
    }
    if (data.length < pos + size + 2) return null;
    parts.push(data.subarray(pos, pos + size));
    if (data.toString('latin1', pos + size, pos + size + 2) !== '\r\n') throw new Error('chunk data not followed by CRLF');
    pos += size + 2;
  }
}

/** A GET with the given target and extra field lines. */
export function get(target: string, fields = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${fields}\r\n`;
}
