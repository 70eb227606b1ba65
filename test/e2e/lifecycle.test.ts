/**
 * A connection's life in real time: graceful close() with a request in flight, and the three
 * timeouts (headers, whole request, keep-alive idle), each with short configured values.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SealError } from '../../src/http/errors.js';
import type { Handler } from '../../src/http/options.js';
import { serve } from '../../src/http/server.js';
import { cleanup, get, header, RawClient, sleep, startServer, untrack, within } from './support.js';

afterEach(cleanup);

function codes(errors: Error[]): string[] {
  return errors.map((e) => (e instanceof SealError ? e.code : e.message));
}

/** Whether a new connection to `port` is refused, or accepted and dropped without a byte. */
function refusesConnections(port: number): Promise<boolean> {
  return within(
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let data = false;
      socket.on('data', () => (data = true));
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(!data));
      socket.on('connect', () => socket.write(get('/late')));
    }),
    3_000,
    'a connection after close()',
  );
}

describe('graceful close()', () => {
  it('finishes the request in flight (Connection: close), closes idle connections at once, then frees the port', async () => {
    let startedSlow!: () => void;
    const slowStarted = new Promise<void>((resolve) => (startedSlow = resolve));
    const handler: Handler = async (req, res) => {
      if (req.target === '/slow') {
        startedSlow();
        await sleep(300);
      }
      res.setHeader('Connection', 'keep-alive');
      res.end(`done ${req.target}`);
    };
    const { server, port } = await startServer({ handler });

    const idle = await RawClient.connect(port);
    idle.write(get('/quick'));
    await idle.responses(1);
    const busy = await RawClient.connect(port);
    busy.write(get('/slow'));
    await within(slowStarted, 2_000, 'the slow handler to start');

    const closeCalledAt = Date.now();
    const closed = server.close({ deadlineMs: 3_000 });
    untrack(server);

    // The idle keep-alive connection goes at once; the busy one is still being answered.
    await idle.serverEnded(200);
    expect(Date.now() - closeCalledAt).toBeLessThan(200);
    expect(busy.ended).toBe(false);
    expect(await refusesConnections(port)).toBe(true);

    const [response] = await busy.responses(1, 2_000);
    expect(Date.now() - closeCalledAt).toBeGreaterThanOrEqual(200);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe('done /slow');
    // The handler's keep-alive does not contradict the server's decision.
    expect(response!.headers.filter(([n]) => n.toLowerCase() === 'connection')).toEqual([['Connection', 'close']]);
    await busy.serverEnded();
    await within(closed, 3_000, 'close() to resolve');
    expect(Date.now() - closeCalledAt).toBeLessThan(2_000);

    // The port is free: a new server binds it at once and serves.
    const again = await within(serve({ port, handler }), 2_000, 'rebinding the port');
    try {
      const client = await RawClient.connect(port);
      client.write(get('/again'));
      expect((await client.responses(1))[0]!.body.toString()).toBe('done /again');
    } finally {
      await within(again.close({ deadlineMs: 200 }), 3_000, 'the second server to close');
    }
  });

  it('serves a connection accepted just before close() whose request comes a moment after; one that sends nothing is closed after the grace', async () => {
    const { server, port } = await startServer({ handler: (req, res) => res.end(`done ${req.target}`) });
    const late = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(port)));
    const silent = await RawClient.connect(port);
    await sleep(20); // accepted by the server, nothing sent yet
    const closeCalledAt = Date.now();
    const closed = server.close({ deadlineMs: 3_000 });
    untrack(server);
    await sleep(20);
    late.forEach((client, i) => client.write(get(`/late-${i}`)));
    for (const [i, client] of late.entries()) {
      const [response] = await client.responses(1, 2_000);
      expect(response!.status).toBe(200);
      expect(response!.body.toString()).toBe(`done /late-${i}`);
      expect(response!.headers.filter(([n]) => n.toLowerCase() === 'connection')).toEqual([['Connection', 'close']]);
      await client.serverEnded(1_000);
    }
    await silent.serverEnded(2_000);
    expect(silent.data().length).toBe(0);
    await within(closed, 3_000, 'close() to resolve');
    expect(Date.now() - closeCalledAt).toBeLessThan(1_500);
  });

  it('destroys what is still open at the deadline', async () => {
    const { server, port } = await startServer({
      handler: async (_req, res) => {
        await sleep(5_000);
        res.end();
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/forever'));
    await sleep(50);
    const started = Date.now();
    untrack(server);
    await within(server.close({ deadlineMs: 200 }), 3_000, 'close()');
    expect(Date.now() - started).toBeLessThan(1_500);
    await client.serverEnded(1_000);
  });
});

describe('timeouts', () => {
  it('headers timeout: a head trickled one byte per 100 ms gets 408 and a close, while another client is served', async () => {
    const errors: Error[] = [];
    const { port } = await startServer({
      headersTimeoutMs: 500,
      onError: (error) => errors.push(error),
      handler: (req, res) => res.end(`hi ${req.target}`),
    });
    const slow = await RawClient.connect(port);
    const head = Buffer.from('GET /slowloris HTTP/1.1\r\nHost: h\r\nX-Padding: ' + 'p'.repeat(40) + '\r\n\r\n');
    const startedAt = Date.now();
    let sent = 0;
    const trickle = setInterval(() => {
      if (slow.ended || slow.closed || sent >= head.length) return clearInterval(trickle);
      slow.write(head.subarray(sent, sent + 1));
      sent++;
    }, 100);
    try {
      slow.write(head.subarray(0, 1));
      sent = 1;
      // Meanwhile, a normal client is served promptly, request after request.
      const normal = await RawClient.connect(port);
      for (let i = 1; i <= 3; i++) {
        const before = Date.now();
        normal.write(get(`/n${i}`));
        const responses = await normal.responses(i, 1_000);
        expect(responses[i - 1]!.body.toString()).toBe(`hi /n${i}`);
        expect(Date.now() - before).toBeLessThan(300);
        await sleep(100);
      }
      const [response] = await slow.responses(1, 3_000);
      const elapsed = Date.now() - startedAt;
      expect(response!.status).toBe(408);
      expect(response!.body.toString()).toContain(ErrorCode.HEADERS_TIMEOUT);
      expect(header(response!, 'connection')).toBe('close');
      await slow.serverEnded(1_000);
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(1_500);
      expect(sent).toBeLessThan(head.length);
      expect(codes(errors)).toEqual([ErrorCode.HEADERS_TIMEOUT]);
    } finally {
      clearInterval(trickle);
    }
  });

  it('request timeout: a body that stalls after the head → 408 and a close', async () => {
    const errors: Error[] = [];
    let handlerError: unknown;
    const { port } = await startServer({
      requestTimeoutMs: 600,
      onError: (error) => errors.push(error),
      handler: async (req, res) => {
        try {
          res.end(await req.text());
        } catch (err) {
          handlerError = err;
          throw err;
        }
      },
    });
    const client = await RawClient.connect(port);
    const startedAt = Date.now();
    client.write('POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly ten b');
    const [response] = await client.responses(1, 3_000);
    const elapsed = Date.now() - startedAt;
    expect(response!.status).toBe(408);
    expect(response!.body.toString()).toContain(ErrorCode.REQUEST_TIMEOUT);
    expect(header(response!, 'connection')).toBe('close');
    await client.serverEnded(1_000);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1_800);
    expect(handlerError).toBeInstanceOf(SealError);
    expect(codes(errors)).toEqual([ErrorCode.REQUEST_TIMEOUT]);
  });

  it('keep-alive timeout: an idle connection is closed after about the configured time, a busy one is not', async () => {
    const { port } = await startServer({ keepAliveTimeoutMs: 300, handler: (req, res) => res.end(req.target) });
    const client = await RawClient.connect(port);
    client.write(get('/1'));
    await client.responses(1);
    // Used again within the timeout: the idle time starts over.
    await sleep(200);
    client.write(get('/2'));
    await client.responses(2);
    const idleFrom = Date.now();
    await client.serverEnded(2_000);
    const idle = Date.now() - idleFrom;
    expect(idle).toBeGreaterThanOrEqual(250);
    expect(idle).toBeLessThan(1_200);
    // Closed quietly: no 408 for a connection that asked nothing.
    expect(client.text().match(/HTTP\/1\.1 /g)).toHaveLength(2);
  });

  it('a slow handler does not time out the pipelined request waiting behind it', async () => {
    // Regression: the next request's bytes, held while the server answered the one before, started
    // the headers timer, and the timeout then replaced the answer in progress with a 408.
    const errors: Error[] = [];
    const { port } = await startServer({
      headersTimeoutMs: 200,
      onError: (error) => errors.push(error),
      handler: async (req, res) => {
        if (req.target === '/slow') await sleep(600);
        res.end(req.target);
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/slow'));
    await sleep(50);
    client.write(get('/next'));
    const responses = await client.responses(2, 3_000);
    expect(responses.map((r) => `${r.status} ${r.body.toString()}`)).toEqual(['200 /slow', '200 /next']);
    expect(errors).toEqual([]);
  });

  it('a connection that sends nothing is closed after the headers timeout, without a response', async () => {
    const { port } = await startServer({ headersTimeoutMs: 300, handler: (_req, res) => res.end() });
    const client = await RawClient.connect(port);
    const startedAt = Date.now();
    await client.serverEnded(2_000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(client.text()).toBe('');
  });
});
