import * as net from 'node:net';
import type { Connection, TcpServerOptions } from '../../src/net/index.js';
import { TcpServer } from '../../src/net/index.js';
import { sleep, waitFor, within } from '../support/waits.js';

export { sleep, waitFor, within };

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves whether `promise` settled within `ms` (used to assert that something is still pending). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

const clients = new Set<net.Socket>();
const servers = new Set<TcpServer>();

/** A raw client on 127.0.0.1; destroyed by `cleanup()`. */
export function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  clients.add(socket);
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

export interface ClientResult {
  data: Buffer;
  /** The socket error, if the connection ended with one (e.g. ECONNRESET). */
  error: Error | undefined;
}

/** Everything the client receives until its socket closes. */
export function receiveAll(socket: net.Socket, ms = 5_000): Promise<ClientResult> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (err: Error) => (error = err));
  const closed = socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return within(
    closed.then(() => ({ data: Buffer.concat(chunks), error })),
    ms,
    'client socket to close',
  );
}

/** Resolves once the client socket is closed. */
export function clientClosed(socket: net.Socket, ms = 5_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.resume(); // a paused client never sees the server's FIN
  return within(new Promise<void>((resolve) => socket.once('close', () => resolve())), ms, 'client socket to close');
}

/** Reads from the client until `n` bytes arrived. */
export function receiveBytes(socket: net.Socket, n: number, ms = 5_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        total += chunk.length;
        if (total >= n) {
          socket.off('data', onData);
          socket.off('close', onClose);
          resolve(Buffer.concat(chunks));
        }
      };
      const onClose = (): void => reject(new Error(`closed after ${total} of ${n} bytes`));
      socket.on('data', onData);
      socket.once('close', onClose);
    }),
    ms,
    `${n} bytes at the client`,
  );
}

/** Starts a server on a free port; stopped by `cleanup()`. */
export async function startServer(options: TcpServerOptions): Promise<{ server: TcpServer; port: number }> {
  const server = new TcpServer(options);
  servers.add(server);
  const bound = await within(server.listen(), 5_000, 'listen');
  return { server, port: bound.port };
}

/** A server whose handler only queues connections, so a test drives each one itself. */
export async function startAcceptingServer(
  options: Omit<TcpServerOptions, 'handler'> = {},
): Promise<{ server: TcpServer; port: number; accept: () => Promise<Connection> }> {
  const waiting: ((conn: Connection) => void)[] = [];
  const ready: Connection[] = [];
  const { server, port } = await startServer({
    ...options,
    handler: (conn) => {
      const take = waiting.shift();
      if (take === undefined) ready.push(conn);
      else take(conn);
    },
  });
  const accept = (): Promise<Connection> => {
    const conn = ready.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    return within(new Promise<Connection>((resolve) => waiting.push(resolve)), 5_000, 'accept');
  };
  return { server, port, accept };
}

/** Tracks what the server side of `conn` received, so a client can wait for each piece to land. */
export function serverReceived(conn: Connection): { chunks: Buffer[]; atLeast: (n: number) => Promise<void> } {
  const chunks: Buffer[] = [];
  let total = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  conn.socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    if (waiter !== undefined && total >= waiter.n) {
      waiter.resolve();
      waiter = undefined;
    }
  });
  const atLeast = (n: number): Promise<void> => {
    if (total >= n) return Promise.resolve();
    return within(new Promise<void>((resolve) => (waiter = { n, resolve })), 5_000, `${n} bytes at the server`);
  };
  return { chunks, atLeast };
}

/**
 * Writes `pieces` one after another, each only once the server has received the one before,
 * so the server's chunks follow the pieces' boundaries.
 */
export async function feedPieces(
  client: net.Socket,
  received: { atLeast: (n: number) => Promise<void> },
  pieces: readonly Uint8Array[],
): Promise<void> {
  let total = 0;
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    client.write(piece);
    total += piece.length;
    await received.atLeast(total);
  }
}

/** Splits `data` at the given cut points (any order, out-of-range ignored). */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < data.length))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(data.subarray(start, point));
    start = point;
  }
  pieces.push(data.subarray(start));
  return pieces;
}

export function oneBytePieces(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (_, i) => data.subarray(i, i + 1));
}

/** Closes every server and client the test opened. */
export async function cleanup(): Promise<void> {
  for (const socket of clients) socket.destroy();
  clients.clear();
  const closing = Array.from(servers, (server) => server.close({ deadlineMs: 100 }));
  servers.clear();
  await within(Promise.all(closing), 5_000, 'servers to close');
}
