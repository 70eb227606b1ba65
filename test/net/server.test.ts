import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, ConnectionState } from '../../src/net/index.js';
import { NET_ERROR_CODES, NetError, TcpServer } from '../../src/net/index.js';
import {
  cleanup,
  clientClosed,
  connect,
  deferred,
  receiveAll,
  receiveBytes,
  settlesWithin,
  sleep,
  startServer,
  waitFor,
  within,
} from './helpers.js';

afterEach(cleanup);

/** Echoes every chunk back until the client ends. */
async function echo(conn: Connection): Promise<void> {
  for (let chunk = await conn.reader.read(); chunk !== null; chunk = await conn.reader.read()) {
    conn.writer.write(chunk);
  }
}

interface ReportedError {
  err: Error;
  conn: Connection | undefined;
}

function errorLog(): { errors: ReportedError[]; onError: (err: Error, conn?: Connection) => void } {
  const errors: ReportedError[] = [];
  return { errors, onError: (err, conn) => errors.push({ err, conn }) };
}

function codeOf(err: Error | undefined): string | undefined {
  return err instanceof NetError ? err.code : (err as NodeJS.ErrnoException | undefined)?.code;
}

describe('listen', () => {
  it('binds port 0 to a real free port and serves it', async () => {
    const { server, port } = await startServer({ handler: echo });
    expect(port).toBeGreaterThan(0);
    expect(server.address).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
    const client = await connect(port);
    client.write('ping');
    expect((await receiveBytes(client, 4)).toString()).toBe('ping');
  });

  it('runs two servers side by side, each with its own handler', async () => {
    const a = await startServer({ handler: (conn) => conn.writer.end('A') });
    const b = await startServer({ handler: (conn) => conn.writer.end('B') });
    expect(a.port).not.toBe(b.port);
    const [resultA, resultB] = await Promise.all([
      connect(a.port).then((c) => receiveAll(c)),
      connect(b.port).then((c) => receiveAll(c)),
    ]);
    expect(resultA.data.toString()).toBe('A');
    expect(resultB.data.toString()).toBe('B');
  });

  it('rejects with EADDRINUSE when the port is taken, and may try again', async () => {
    const { port } = await startServer({ handler: echo });
    const second = new TcpServer({ port, handler: echo });
    await expect(within(second.listen(), 5_000, 'listen')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // A failed bind leaves the server reusable and close() still settles.
    await expect(within(second.listen(), 5_000, 'listen')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await within(second.close(), 5_000, 'close');
  });

  it('refuses listen() twice and after close()', async () => {
    const { server } = await startServer({ handler: echo });
    await expect(server.listen()).rejects.toMatchObject({ code: NET_ERROR_CODES.SERVER_STATE });
    await within(server.close(), 5_000, 'close');
    await expect(server.listen()).rejects.toMatchObject({ code: NET_ERROR_CODES.SERVER_STATE });
  });
});

describe('connections', () => {
  it('captures both addresses at accept time; they survive the socket', async () => {
    const accepted = deferred<Connection>();
    const { port } = await startServer({
      handler: (conn) => {
        accepted.resolve(conn);
        return conn.writer.end('bye');
      },
    });
    const client = await connect(port);
    const clientPort = client.localPort;
    const conn = await within(accepted.promise, 5_000, 'accept');
    await receiveAll(client);
    await within(conn.closed, 5_000, 'conn.closed');
    expect(conn.state).toBe('closed');
    expect(conn.clientAddress).toEqual({ address: '127.0.0.1', port: clientPort, family: 'IPv4' });
    expect(conn.serverAddress).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
  });

  it('onClose callbacks run in order once the socket closes, after the server let go of it; added late, they still run', async () => {
    const accepted = deferred<Connection>();
    const { server, port } = await startServer({
      handler: (conn) => {
        accepted.resolve(conn);
        return conn.writer.end('bye');
      },
    });
    const client = await connect(port);
    const conn = await within(accepted.promise, 5_000, 'accept');
    const seen: string[] = [];
    conn.onClose(() => seen.push(`first, listed: ${server.connections.has(conn)}`));
    conn.onClose(() => seen.push('second'));
    await receiveAll(client);
    await within(conn.closed, 5_000, 'conn.closed');
    expect(seen).toEqual(['first, listed: false', 'second']);
    const late = new Promise<void>((resolve) => conn.onClose(resolve));
    await within(late, 1_000, 'a callback added after the close');
  });

  it('counts open connections and lists them', async () => {
    const { server, port } = await startServer({ handler: echo });
    const a = await connect(port);
    const b = await connect(port);
    await waitFor(() => server.connections.size === 2, 5_000, 'two connections');
    const clientPorts = [...server.connections].map((conn) => conn.clientAddress.port).sort();
    expect(clientPorts).toEqual([a.localPort, b.localPort].sort());
    a.end();
    await clientClosed(a);
    await waitFor(() => server.connections.size === 1, 5_000, 'one connection');
  });

  it('moves through new → active → idle → closed as the protocol reports', async () => {
    const states: ConnectionState[] = [];
    const { port } = await startServer({
      handler: async (conn) => {
        states.push(conn.state);
        await conn.reader.readLine();
        conn.markActive();
        states.push(conn.state);
        conn.writer.write('ok\n');
        conn.markIdle();
        states.push(conn.state);
        await conn.closed;
        states.push(conn.state);
      },
    });
    const client = await connect(port);
    client.write('go\n');
    expect((await receiveBytes(client, 3)).toString()).toBe('ok\n');
    client.end();
    await clientClosed(client);
    await waitFor(() => states.length === 4, 5_000, 'four states');
    expect(states).toEqual(['new', 'active', 'idle', 'closed']);
  });

  it('turns TCP_NODELAY on for every accepted socket, in the listener', async () => {
    // node:net has no getter for a socket's TCP_NODELAY; the listener's option is what sets it
    // on each handle as it is accepted (net.Server keeps it as `noDelay`).
    class Probe extends TcpServer {
      listener: net.Server | undefined;
      protected override createListener(onSocket: (socket: net.Socket) => void): net.Server {
        return (this.listener = super.createListener(onSocket));
      }
    }
    const probe = new Probe({ handler: (conn) => conn.writer.end('hi') });
    const bound = await within(probe.listen(), 5_000, 'listen');
    const result = await receiveAll(await connect(bound.port));
    expect(result.data.toString()).toBe('hi');
    expect((probe.listener as net.Server & { noDelay?: boolean }).noDelay).toBe(true);
    await within(probe.close(), 5_000, 'close');
  });
});

describe('handler contract', () => {
  it('closes the connection gracefully when the handler promise fulfils', async () => {
    const { port } = await startServer({
      handler: async (conn) => {
        conn.writer.write('bye');
      },
    });
    const result = await receiveAll(await connect(port));
    expect(result.data.toString()).toBe('bye');
    expect(result.error).toBeUndefined();
  });

  it('leaves a connection open when the handler returns nothing (it took the socket over)', async () => {
    const { port } = await startServer({
      handler: (conn) => {
        conn.socket.on('data', (chunk: Buffer) => conn.socket.write(chunk));
      },
    });
    const client = await connect(port);
    await sleep(50);
    client.write('still there?');
    expect((await receiveBytes(client, 12)).toString()).toBe('still there?');
    client.end();
    await clientClosed(client);
  });

  it('reports a throwing or rejecting handler, destroys that connection and serves the others', async () => {
    const log = errorLog();
    let n = 0;
    const { port } = await startServer({
      onError: log.onError,
      handler: (conn) => {
        n++;
        if (n === 1) throw new Error('sync boom');
        if (n === 2) return Promise.reject(new Error('async boom'));
        if (n === 3) return Promise.reject('not an Error');
        return echo(conn);
      },
    });
    const failed = [await connect(port), await connect(port), await connect(port)];
    await Promise.all(failed.map((client) => clientClosed(client)));
    const healthy = await connect(port);
    healthy.write('alive');
    expect((await receiveBytes(healthy, 5)).toString()).toBe('alive');

    await waitFor(() => log.errors.length === 3, 5_000, 'three reports');
    expect(log.errors.map(({ err }) => err.message)).toEqual(['sync boom', 'async boom', expect.stringContaining('not an Error')]);
    expect(codeOf(log.errors[2]?.err)).toBe(NET_ERROR_CODES.HANDLER_FAILED);
    for (const { err, conn } of log.errors) {
      expect(conn).toBeDefined();
      expect(conn?.error).toBe(err);
    }
  });

  it('does not report a peer reset as an error', async () => {
    const log = errorLog();
    const accepted = deferred<Connection>();
    const { port } = await startServer({
      onError: log.onError,
      handler: (conn) => {
        accepted.resolve(conn);
        return echo(conn);
      },
    });
    const client = await connect(port);
    const conn = await within(accepted.promise, 5_000, 'accept');
    client.resetAndDestroy();
    await within(conn.closed, 5_000, 'conn.closed');
    await sleep(20);
    expect(log.errors).toEqual([]);
  });
});

describe('close()', () => {
  it('frees the port: a new server binds it at once', async () => {
    const { server, port } = await startServer({ handler: echo });
    const client = await connect(port);
    await waitFor(() => server.connections.size === 1, 5_000, 'connection');
    await within(server.close(), 5_000, 'close');
    expect(server.connections.size).toBe(0);
    await clientClosed(client);

    const again = new TcpServer({ port, handler: (conn) => conn.writer.end('second') });
    const bound = await within(again.listen(), 5_000, 'listen on the same port');
    expect(bound.port).toBe(port);
    const result = await receiveAll(await connect(port));
    expect(result.data.toString()).toBe('second');
    await within(again.close(), 5_000, 'close');
  });

  it('is idempotent and works on a server that never listened', async () => {
    const { server } = await startServer({ handler: echo });
    const first = server.close();
    expect(server.close()).toBe(first);
    await within(first, 5_000, 'close');
    const never = new TcpServer({ handler: echo });
    await within(never.close(), 5_000, 'close of an unbound server');
  });

  it('closes idle connections at once, lets active ones finish, then resolves', async () => {
    const release = deferred<void>();
    const { server, port } = await startServer({
      handler: async (conn) => {
        const line = (await conn.reader.readLine())?.toString();
        if (line === 'idle\n') {
          conn.markIdle();
        } else {
          conn.markActive();
          await release.promise;
          conn.writer.write('done\n');
          conn.markIdle(); // the server is closing: this closes the connection
        }
        await conn.closed;
      },
    });
    const idle = await connect(port);
    idle.write('idle\n');
    const active = await connect(port);
    active.write('active\n');
    await waitFor(
      () => [...server.connections].map((c) => c.state).sort().join() === 'active,idle',
      5_000,
      'one active and one idle connection',
    );
    const activeResult = receiveAll(active);

    const closing = server.close({ deadlineMs: 10_000 });
    await clientClosed(idle, 2_000);
    expect(await settlesWithin(closing, 100)).toBe(false);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    release.resolve();
    expect((await activeResult).data.toString()).toBe('done\n');
    await within(closing, 5_000, 'close');
  });

  it('waits for a connection that already sent bytes, until its handler settles', async () => {
    const release = deferred<void>();
    const { server, port } = await startServer({
      handler: async (conn) => {
        await conn.reader.readLine();
        await release.promise; // never marked active: the bytes received say a request is in flight
        conn.writer.write('answer');
      },
    });
    const client = await connect(port);
    client.write('question\n');
    await waitFor(() => [...server.connections].some((c) => c.socket.bytesRead > 0), 5_000, 'bytes at the server');
    const result = receiveAll(client);
    const closing = server.close();
    expect(await settlesWithin(closing, 100)).toBe(false);
    release.resolve();
    expect((await result).data.toString()).toBe('answer');
    await within(closing, 5_000, 'close');
  });

  it('destroys a stuck connection at the deadline', async () => {
    const stuck = deferred<Connection>();
    const { server, port } = await startServer({
      handler: async (conn) => {
        conn.markActive();
        stuck.resolve(conn);
        await conn.closed;
      },
    });
    const client = await connect(port);
    const conn = await within(stuck.promise, 5_000, 'accept');
    const started = Date.now();
    await within(server.close({ deadlineMs: 150 }), 5_000, 'close');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(3_000);
    expect(codeOf(conn.error)).toBe(NET_ERROR_CODES.CLOSE_DEADLINE);
    await clientClosed(client);
  });
});

describe('limits', () => {
  it('destroys connections beyond maxConnections, counts and reports them', async () => {
    const log = errorLog();
    const { server, port } = await startServer({ maxConnections: 2, onError: log.onError, handler: echo });
    const a = await connect(port);
    const b = await connect(port);
    await waitFor(() => server.connections.size === 2, 5_000, 'two connections');

    const excess = await connect(port);
    const excessResult = await receiveAll(excess);
    expect(excessResult.data.length).toBe(0);
    expect(server.rejectedConnections).toBe(1);
    expect(server.connections.size).toBe(2);
    expect(log.errors).toHaveLength(1);
    expect(codeOf(log.errors[0]?.err)).toBe(NET_ERROR_CODES.TOO_MANY_CONNECTIONS);
    expect(log.errors[0]?.conn).toBeUndefined();

    // The accepted ones are unaffected, and a slot freed is a slot usable again.
    a.write('a');
    expect((await receiveBytes(a, 1)).toString()).toBe('a');
    b.end();
    await clientClosed(b);
    await waitFor(() => server.connections.size === 1, 5_000, 'one connection');
    const c = await connect(port);
    c.write('c');
    expect((await receiveBytes(c, 1)).toString()).toBe('c');
    expect(server.rejectedConnections).toBe(1);
  });

  it('destroys a socket idle for idleTimeoutMs, but not one that keeps talking', async () => {
    const log = errorLog();
    const conns: Connection[] = [];
    const { port } = await startServer({
      idleTimeoutMs: 300,
      onError: log.onError,
      handler: (conn) => {
        conns.push(conn);
        return echo(conn);
      },
    });
    const silent = await connect(port);
    const chatty = await connect(port);
    const started = Date.now();
    const silentClosed = clientClosed(silent, 5_000).then(() => Date.now() - started);
    let echoed = 0;
    chatty.on('data', (chunk: Buffer) => (echoed += chunk.length));
    for (let i = 0; i < 16; i++) {
      chatty.write('x');
      await sleep(50);
    }
    expect(chatty.destroyed).toBe(false);
    expect(echoed).toBeGreaterThan(0);
    const silentAfter = await silentClosed;
    expect(silentAfter).toBeGreaterThanOrEqual(250);
    await clientClosed(chatty, 5_000);
    await waitFor(() => conns.length === 2 && conns.every((c) => c.state === 'closed'), 5_000, 'both closed');
    for (const conn of conns) expect(codeOf(conn.error)).toBe(NET_ERROR_CODES.IDLE_TIMEOUT);
    expect(log.errors).toEqual([]);
  });
});
