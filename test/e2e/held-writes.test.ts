/**
 * The connection loop holds the answers it writes while handling a socket read until the end of
 * the event loop's turn (src/http/output.ts). Held answers must still leave, in order, before
 * anything closes the connection or writes around them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/server.js';
import { cleanup, get, header, RawClient, sleep, startServer, untrack, within } from './support.js';

afterEach(cleanup);

describe('answers held until the end of the turn', () => {
  it('leave before the FIN when the server is closed in the same turn (RFC 9112 §9.6)', async () => {
    let server: HttpServer | undefined;
    let closing: Promise<void> | undefined;
    const started = await startServer({
      handler: (_req, res) => {
        res.end('bye');
        // Closed right after answering, while the answer is still held: the server's shutdown
        // closes this connection once it is idle, which is later in this same turn.
        closing = server!.close();
      },
    });
    server = started.server;
    untrack(server);
    const client = await RawClient.connect(started.port);
    client.write(get('/'));
    await client.serverEnded(3_000);
    const [response] = await client.responses(1, 1_000);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe('bye');
    await within(closing!, 3_000, 'the server to close');
  });

  it('a write outside the batch, in the same turn, goes out after the answer held before it', async () => {
    // The first request is answered inside the read and held; the second one's handler writes
    // after a microtask, still in this turn but outside any batch: its bytes must follow the
    // first answer, not overtake it. A third answers from a timer, in a later turn.
    const { port } = await startServer({
      handler: async (req, res) => {
        if (req.target === '/soon') {
          await Promise.resolve();
          res.write('a');
          res.end('b');
        } else if (req.target === '/soon-whole') {
          await Promise.resolve();
          res.end('d');
        } else if (req.target === '/later') {
          await sleep(20);
          res.end('c');
        } else res.end('first');
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/now') + get('/soon') + get('/now') + get('/soon-whole') + get('/later'));
    const responses = await client.responses(5, 3_000);
    expect(responses.map((r) => r.body.toString())).toEqual(['first', 'ab', 'first', 'd', 'c']);
  });

  it('answers to many connections read in one turn all arrive, each on its own connection', async () => {
    const { port } = await startServer({ handler: (req, res) => res.end(req.target) });
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(port)));
    // Written together, so that the server reads many of them in the same turn.
    clients.forEach((client, i) => client.write(get(`/${i}`) + get(`/${i}/again`)));
    const answers = await Promise.all(clients.map((client) => client.responses(2, 3_000)));
    answers.forEach((responses, i) => expect(responses.map((r) => r.body.toString())).toEqual([`/${i}`, `/${i}/again`]));
  });
});

describe('a message written again leaves as its bytes (output.ts repeatedMessage)', () => {
  it('the same answer, again and again on one connection, arrives whole each time, non-ASCII body included', async () => {
    const { port } = await startServer({
      handler: (req, res) => {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(req.target === '/accents' ? 'héllo ✓' : 'same');
      },
    });
    const client = await RawClient.connect(port);
    // One request a turn: each answer is the only message of its batch.
    const targets = ['/', '/', '/', '/accents', '/accents', '/accents', '/'];
    for (let i = 0; i < targets.length; i++) {
      client.write(get(targets[i]!));
      const response = (await client.responses(i + 1, 3_000))[i]!;
      expect(response.status).toBe(200);
      const expected = targets[i] === '/accents' ? 'héllo ✓' : 'same';
      expect(response.body.toString('utf8')).toBe(expected);
      expect(Number(header(response, 'content-length'))).toBe(Buffer.byteLength(expected));
    }
    // Nothing more than the seven answers: no message was sent twice.
    expect((await client.responses(targets.length, 3_000)).length).toBe(targets.length);
    expect(client.data().length).toBe((await client.responses(targets.length, 3_000)).reduce((n, r) => n + r.raw.length, 0));
  });

  it('in a pipelined burst, repeated and other answers leave in request order', async () => {
    const { port } = await startServer({
      handler: async (req, res) => {
        if (req.target === '/stream') {
          res.write('s1');
          res.end('s2');
        } else if (req.target === '/late') {
          await sleep(5);
          res.end('late');
        } else res.end(req.target === '/same' ? 'same' : `other ${req.target}`);
      },
    });
    const client = await RawClient.connect(port);
    const targets = ['/same', '/same', '/same', '/x', '/same', '/stream', '/same', '/late', '/same', '/same'];
    client.write(targets.map((t) => get(t)).join(''));
    const responses = await client.responses(targets.length, 3_000);
    const bodies = responses.map((r) => r.body.toString());
    expect(bodies).toEqual(targets.map((t) => (t === '/same' ? 'same' : t === '/stream' ? 's1s2' : t === '/late' ? 'late' : `other ${t}`)));
  });
});
