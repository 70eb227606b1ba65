/**
 * Byte-exact end-to-end tests over raw loopback sockets: pipelining, malformed requests, limits,
 * Expect, HEAD, bodiless statuses, HTTP/1.0, connection persistence, response validation and
 * handler failures. Every test names the RFC section it checks, where one applies.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SealError } from '../../src/http/errors.js';
import type { ErrorInfo, Handler } from '../../src/http/options.js';
import { runs } from '../support/runs.js';
import { cleanup, get, header, headerAll, parseResponses, RawClient, sleep, startServer, type HttpResponse } from './support.js';

afterEach(cleanup);

/** A handler that answers every request with its method, target and body, and counts calls. */
function echoHandler(): { handler: Handler; calls: () => number; maxConcurrent: () => number } {
  let calls = 0;
  let active = 0;
  let maxConcurrent = 0;
  const handler: Handler = async (req, res) => {
    calls++;
    active++;
    maxConcurrent = Math.max(maxConcurrent, active);
    const body = await req.text();
    res.setHeader('Content-Type', 'text/plain');
    // Before end(): ending the response may start the next pipelined request's handler at once.
    active--;
    res.end(`${req.method} ${req.target} ${body}`);
  };
  return { handler, calls: () => calls, maxConcurrent: () => maxConcurrent };
}

function bodies(responses: HttpResponse[]): string[] {
  return responses.map((r) => r.body.toString('latin1'));
}

/** Sends `request` on a new connection; expects one response with `status`, then the server's FIN. */
async function expectRefused(port: number, request: string, status: number, code?: string): Promise<HttpResponse> {
  const client = await RawClient.connect(port);
  client.write(request);
  const [response] = await client.responses(1);
  expect(response!.status).toBe(status);
  expect(header(response!, 'connection')).toBe('close');
  if (code !== undefined) expect(response!.body.toString()).toContain(code);
  await client.serverEnded();
  return response!;
}

describe('RFC 9112 §9.3.2 pipelining', () => {
  const pipeline = Array.from({ length: 100 }, (_, i) => get(`/r${i}`)).join('');
  const expected = Array.from({ length: 100 }, (_, i) => `GET /r${i} `);

  it('answers 100 requests sent in one write, in order, in a few TCP reads', async () => {
    let calls = 0;
    const { port } = await startServer({
      handler: (req, res) => {
        calls++;
        res.end(`GET ${req.target} `);
      },
    });
    const client = await RawClient.connect(port);
    client.write(pipeline);
    const responses = await client.responses(100);
    expect(responses).toHaveLength(100);
    expect(bodies(responses)).toEqual(expected);
    expect(responses.every((r) => r.status === 200 && header(r, 'connection') === undefined)).toBe(true);
    expect(client.text().length).toBe(responses.reduce((n, r) => n + r.raw.length, 0));
    expect(calls).toBe(100);
    // Synchronous handlers: the whole burst is parsed in one chunk with the socket corked, so the
    // responses leave together (one writev), not in 100 separate segments.
    expect(client.reads).toBeLessThan(10);
  });

  it('answers the same 100 requests sent one byte per write', async () => {
    const { handler } = echoHandler();
    const { port } = await startServer({ handler });
    const client = await RawClient.connect(port);
    await client.writeBytewise(pipeline);
    const responses = await client.responses(100, 10_000);
    expect(bodies(responses)).toEqual(expected);
  });

  it('keeps request order when a later handler would finish first, one handler at a time', async () => {
    // Regression: a chunk that arrived while a response was outstanding was parsed at once, so
    // the next handler ran concurrently and its response overtook the earlier one.
    let active = 0;
    let maxActive = 0;
    const { port } = await startServer({
      handler: async (req, res) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(req.target === '/slow' ? 200 : 1);
        active--;
        res.end(req.target);
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/slow'));
    await sleep(50);
    client.write(get('/fast1'));
    await sleep(20);
    client.write(get('/fast2'));
    const responses = await client.responses(3);
    expect(bodies(responses)).toEqual(['/slow', '/fast1', '/fast2']);
    expect(maxActive).toBe(1);
  });

  const mixed = Array.from({ length: 60 }, (_, i) => {
    if (i % 3 === 0) return get(`/g${i}`);
    if (i % 3 === 1) return `POST /p${i} HTTP/1.1\r\nHost: h\r\nContent-Length: ${String(i).length + 5}\r\n\r\nbody-${i}`;
    return `PUT /c${i} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n${(String(i).length).toString(16)}\r\n${i}\r\n0\r\n\r\n`;
  });
  const mixedExpected = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0 ? `GET /g${i} ` : i % 3 === 1 ? `POST /p${i} body-${i}` : `PUT /c${i} abc${i}`,
  );

  it('answers pipelined requests with Content-Length and chunked bodies (RFC 9112 §6.3, §7.1)', async () => {
    const echo = echoHandler();
    const { port } = await startServer({ handler: echo.handler });
    const client = await RawClient.connect(port);
    client.write(mixed.join(''));
    expect(bodies(await client.responses(60))).toEqual(mixedExpected);
    expect(echo.maxConcurrent()).toBe(1);
  });

  it('answers them the same however the stream is split', async () => {
    const echo = echoHandler();
    const { port } = await startServer({ handler: echo.handler });
    const stream = Buffer.from(mixed.slice(0, 12).join(''), 'latin1');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), async (cuts) => {
        const client = await RawClient.connect(port);
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          client.write(stream.subarray(start, cut));
          start = cut;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        client.write(stream.subarray(start));
        expect(bodies(await client.responses(12))).toEqual(mixedExpected.slice(0, 12));
        client.destroy();
      }),
      { numRuns: runs(15) },
    );
  });

  it('answers everything sent before the client half-closed, then closes (RFC 9112 §9.6)', async () => {
    const { handler } = echoHandler();
    const { port } = await startServer({
      handler: async (req, res) => {
        await sleep(20);
        await handler(req, res);
      },
    });
    const client = await RawClient.connect(port, { allowHalfOpen: true });
    client.write(get('/a') + `POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz` + get('/c'));
    client.socket.end();
    const responses = await client.responses(3);
    expect(bodies(responses)).toEqual(['GET /a ', 'POST /b xyz', 'GET /c ']);
    await client.serverEnded();
  });
});

describe('RFC 9112 §3.2 request targets', () => {
  it('origin-form, absolute-form and asterisk-form give the path and query a handler expects', async () => {
    const { port } = await startServer({
      handler: (req, res) => res.end(JSON.stringify({ path: req.path, query: req.query, target: req.target })),
    });
    const client = await RawClient.connect(port);
    client.write(get('/a%2Fb/c%20d?x=%41&x=+&y'));
    client.write('GET http://example.com/abs/p%C3%A5th?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n');
    client.write('GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n');
    client.write('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
    const parsed = (await client.responses(4)).map((r) => JSON.parse(r.body.toString()) as unknown);
    expect(parsed).toEqual([
      { path: '/a/b/c d', query: { x: ['A', ' '], y: [''] }, target: '/a%2Fb/c%20d?x=%41&x=+&y' },
      { path: '/abs/påth', query: { q: ['1'] }, target: 'http://example.com/abs/p%C3%A5th?q=1' },
      { path: '/', query: {}, target: 'http://example.com' },
      { path: '*', query: {}, target: '*' },
    ]);
  });
});

describe('malformed requests get their status and a closed connection', () => {
  let calls = 0;
  const errors: Error[] = [];
  async function server(): Promise<number> {
    calls = 0;
    errors.length = 0;
    const { port } = await startServer({
      handler: async (req, res) => {
        calls++;
        // Reads the body: an error in it goes to the reader, which fails the handler.
        await req.bytes();
        res.end('ok');
      },
      onError: (error) => errors.push(error),
    });
    return port;
  }

  const cases: [string, string, number, string][] = [
    ['RFC 9112 §2.2 bare LF in the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 400, ErrorCode.BARE_LF],
    ['RFC 9112 §2.2 bare LF after a field', 'GET / HTTP/1.1\r\nHost: h\n\r\n', 400, ErrorCode.BARE_LF],
    ['RFC 9112 §5.2 obs-fold', 'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n', 400, ErrorCode.OBSOLETE_LINE_FOLDING],
    ['RFC 9112 §5.1 whitespace before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, ErrorCode.WHITESPACE_BEFORE_COLON],
    ['RFC 9112 §6.3 Content-Length not a number', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n', 400, ErrorCode.INVALID_CONTENT_LENGTH],
    ['RFC 9112 §6.3 negative Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400, ErrorCode.INVALID_CONTENT_LENGTH],
    ['RFC 9112 §6.3 Content-Length list', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nab', 400, ErrorCode.INVALID_CONTENT_LENGTH],
    ['RFC 9110 §8.6 conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, ErrorCode.CONFLICTING_CONTENT_LENGTH],
    ['RFC 9112 §6.3 Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', 400, ErrorCode.CONTENT_LENGTH_AND_TRANSFER_ENCODING],
    ['RFC 9112 §6.1 unknown transfer coding', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501, ErrorCode.UNSUPPORTED_TRANSFER_CODING],
    ['RFC 9112 §6.3 chunked not final', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n', 400, ErrorCode.CHUNKED_NOT_FINAL],
    ['RFC 9112 §2.3 HTTP/2.0', 'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, ErrorCode.UNSUPPORTED_VERSION],
    ['RFC 9112 §2.3 HTTP/3.1', 'GET / HTTP/3.1\r\n\r\n', 505, ErrorCode.UNSUPPORTED_VERSION],
    ['RFC 9112 §3.2 missing Host', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, ErrorCode.MISSING_HOST],
    ['RFC 9112 §3.2 two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, ErrorCode.DUPLICATE_HOST],
    ['RFC 9112 §3 invalid method', 'G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400, ErrorCode.INVALID_METHOD],
    ['RFC 9112 §7.1 bad chunk size', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, ErrorCode.INVALID_CHUNK_SIZE],
    ['RFC 9112 §7.1 chunk data without its CRLF', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY', 400, ErrorCode.INVALID_CHUNK_DELIMITER],
  ];

  for (const [name, request, status, code] of cases) {
    it(`${name} → ${status}`, async () => {
      const port = await server();
      await expectRefused(port, request, status, code);
      // A body error is found after the head, so the handler runs (its body read fails); the rest never reach it.
      expect(calls).toBe(request.includes('chunked\r\n\r\n') && status === 400 ? 1 : 0);
      expect(errors.map((e) => (e instanceof SealError ? e.code : e.message))).toContain(code);
    });
  }

  it('answers the good request before a malformed one, then closes', async () => {
    const port = await server();
    const client = await RawClient.connect(port);
    client.write(get('/ok') + 'GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n' + get('/never'));
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([200, 400]);
    await client.serverEnded();
    expect(calls).toBe(1);
  });

  it('RFC 9110 §9.3.6 CONNECT → 501 without calling the handler', async () => {
    const port = await server();
    await expectRefused(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501, ErrorCode.NOT_IMPLEMENTED);
    expect(calls).toBe(0);
  });
});

describe('limits', () => {
  it('RFC 9112 §3 a request line over the limit → 414', async () => {
    const { port } = await startServer({ handler: (_q, s) => s.end(), limits: { maxRequestLineBytes: 64 } });
    await expectRefused(port, get('/' + 'a'.repeat(100)), 414, ErrorCode.REQUEST_LINE_TOO_LONG);
    const client = await RawClient.connect(port);
    client.write(get('/' + 'a'.repeat(30)));
    expect((await client.responses(1))[0]!.status).toBe(200);
  });

  it('RFC 9112 §3 the default 8 KiB request line → 414', async () => {
    const { port } = await startServer({ handler: (_q, s) => s.end() });
    await expectRefused(port, get('/' + 'a'.repeat(9000)), 414);
  });

  it('RFC 6585 §5 a header section over the limit → 431', async () => {
    const { port } = await startServer({ handler: (_q, s) => s.end(), limits: { maxHeaderBytes: 256 } });
    await expectRefused(port, get('/', `X-Big: ${'b'.repeat(300)}\r\n`), 431, ErrorCode.HEADERS_TOO_LARGE);
  });

  it('RFC 6585 §5 the default 16 KiB header section → 431, sent in pieces', async () => {
    const { port } = await startServer({ handler: (_q, s) => s.end() });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: h\r\n');
    for (let i = 0; i < 20; i++) {
      client.write(`X-F${i}: ${'v'.repeat(1000)}\r\n`);
      await sleep(1);
    }
    const [response] = await client.responses(1);
    expect(response!.status).toBe(431);
    await client.serverEnded();
  });

  it('RFC 6585 §5 more fields than the limit → 431', async () => {
    const { port } = await startServer({ handler: (_q, s) => s.end(), limits: { maxHeaderFields: 5 } });
    const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
    await expectRefused(port, get('/', fields(5)), 431, ErrorCode.TOO_MANY_HEADERS);
    const client = await RawClient.connect(port);
    client.write(get('/', fields(4)));
    expect((await client.responses(1))[0]!.status).toBe(200);
  });

  describe('RFC 9110 §15.5.14 a body over maxBodyBytes → 413', () => {
    const handler: Handler = async (req, res) => {
      const body = await req.bytes();
      res.end(`got ${body.length}`);
    };

    it('a declared Content-Length over the limit is refused before the body is sent', async () => {
      const { port } = await startServer({ handler, maxBodyBytes: 1024 });
      const client = await RawClient.connect(port);
      // The head alone: the answer must not wait for the megabyte that was announced.
      client.write('POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n');
      const [response] = await client.responses(1, 2_000);
      expect(response!.status).toBe(413);
      expect(response!.body.toString()).toContain(ErrorCode.BODY_TOO_LARGE);
      expect(header(response!, 'connection')).toBe('close');
      await client.serverEnded();
    });

    it('a chunked body is refused as soon as it passes the limit', async () => {
      const { port } = await startServer({ handler, maxBodyBytes: 1024 });
      const client = await RawClient.connect(port);
      client.write('POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `258\r\n${'x'.repeat(600)}\r\n`;
      client.write(chunk);
      client.write(chunk);
      // No last chunk: the refusal comes while the body is still open.
      const [response] = await client.responses(1, 2_000);
      expect(response!.status).toBe(413);
      await client.serverEnded();
    });

    it('a body at the limit is accepted', async () => {
      const { port } = await startServer({ handler, maxBodyBytes: 1024 });
      const client = await RawClient.connect(port);
      client.write(`POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1024\r\n\r\n${'y'.repeat(1024)}`);
      client.write(`POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'z'.repeat(1024)}\r\n0\r\n\r\n`);
      expect(bodies(await client.responses(2))).toEqual(['got 1024', 'got 1024']);
    });
  });
});

describe('RFC 9110 §10.1.1 Expect', () => {
  it('sends 100 Continue only when the handler reads the body', async () => {
    let readAt = 0;
    const { port } = await startServer({
      handler: async (req, res) => {
        await sleep(200);
        readAt = Date.now();
        res.end(`read ${await req.text()}`);
      },
    });
    const client = await RawClient.connect(port);
    const sentAt = Date.now();
    client.write('PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await sleep(120);
    expect(client.text()).toBe('');
    await client.until(() => client.text().includes('\r\n\r\n'), 2_000, 'the 100 response');
    expect(client.text()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(readAt).toBeGreaterThan(0);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(190);
    client.write('hello');
    const responses = await client.responses(2);
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(responses[1]!.body.toString()).toBe('read hello');
    expect(header(responses[1]!, 'connection')).toBeUndefined();
    // The connection persists.
    client.write(get('/next'));
    await client.responses(3);
  });

  it('sends no 100 when the handler answers without reading, and closes', async () => {
    const { port } = await startServer({ handler: (_req, res) => res.end('no thanks') });
    const client = await RawClient.connect(port);
    client.write('PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe('no thanks');
    // The client may or may not send the body now; the connection cannot be reused.
    expect(header(response!, 'connection')).toBe('close');
    await client.serverEnded();
    expect(client.text()).not.toContain('100 Continue');
  });

  it('an expectation other than 100-continue → 417', async () => {
    let calls = 0;
    const { port } = await startServer({
      handler: (_req, res) => {
        calls++;
        res.end();
      },
    });
    await expectRefused(port, 'PUT /x HTTP/1.1\r\nHost: h\r\nExpect: foo\r\nContent-Length: 2\r\n\r\nab', 417, ErrorCode.EXPECTATION_FAILED);
    expect(calls).toBe(0);
  });
});

describe('responses without a body', () => {
  it('RFC 9110 §9.3.2 HEAD gets the header fields of a GET, Content-Length included, and no body', async () => {
    const { port } = await startServer({
      handler: (req, res) => {
        res.setHeader('Content-Type', 'text/plain');
        res.end(req.target === '/stream' ? undefined : 'hello world');
      },
    });
    const client = await RawClient.connect(port);
    client.write('HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n' + get('/x'));
    const responses = await client.responses(2, 5_000, (i) => i === 0);
    const [head, getResponse] = responses;
    expect(head!.status).toBe(200);
    expect(header(head!, 'content-length')).toBe('11');
    expect(header(head!, 'content-type')).toBe('text/plain');
    expect(head!.raw.toString().endsWith('\r\n\r\n')).toBe(true);
    // The GET's response starts right after the HEAD's header: no stray body bytes between.
    expect(getResponse!.body.toString()).toBe('hello world');
    expect(client.text()).toBe(head!.raw.toString() + getResponse!.raw.toString());
  });

  it('RFC 9110 §9.3.2 HEAD of a streamed response: chunked announced, nothing sent', async () => {
    const { port } = await startServer({
      handler: async (_req, res) => {
        res.write('part one');
        await sleep(5);
        res.end('part two');
      },
    });
    const client = await RawClient.connect(port);
    client.write('HEAD /s HTTP/1.1\r\nHost: h\r\n\r\n' + get('/s'));
    const [head, full] = await client.responses(2, 5_000, (i) => i === 0);
    expect(header(head!, 'transfer-encoding')).toBe('chunked');
    expect(full!.framing).toBe('chunked');
    expect(full!.body.toString()).toBe('part onepart two');
    expect(client.text()).toBe(head!.raw.toString() + full!.raw.toString());
  });

  it('RFC 9110 §15.3.5, §15.4.5 204 and 304 carry no body, and the connection persists', async () => {
    const { port } = await startServer({
      handler: (req, res) => {
        if (req.target === '/204') res.status = 204;
        else if (req.target === '/304') {
          res.status = 304;
          res.setHeader('ETag', '"v1"');
          res.setHeader('Content-Length', 11);
        }
        res.end(req.target === '/ok' ? 'fine' : 'ignored body');
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/204') + get('/304') + get('/ok'));
    const [noContent, notModified, ok] = await client.responses(3);
    expect(noContent!.status).toBe(204);
    expect(header(noContent!, 'content-length')).toBeUndefined();
    expect(header(noContent!, 'transfer-encoding')).toBeUndefined();
    expect(notModified!.status).toBe(304);
    // RFC 9110 §8.6: a 304 may say what the 200's Content-Length would be; no body follows.
    expect(header(notModified!, 'content-length')).toBe('11');
    expect(ok!.body.toString()).toBe('fine');
    expect(client.text()).toBe(noContent!.raw.toString() + notModified!.raw.toString() + ok!.raw.toString());
    expect(client.text()).not.toContain('ignored');
  });
});

describe('RFC 9112 §9.3 persistence', () => {
  const handler: Handler = async (req, res) => {
    if (req.target === '/stream') {
      res.write('a');
      await sleep(5);
      res.write('b');
    }
    res.end(`v${req.version}`);
  };

  it('HTTP/1.0 without keep-alive: Connection: close, then the server closes', async () => {
    const { port } = await startServer({ handler });
    const client = await RawClient.connect(port);
    client.write('GET /x HTTP/1.0\r\n\r\n');
    const [response] = await client.responses(1);
    // RFC 9110 §6.2: the server answers with its own version.
    expect(response!.version).toBe('1.1');
    expect(response!.body.toString()).toBe('v1.0');
    expect(header(response!, 'connection')).toBe('close');
    await client.serverEnded();
  });

  it('HTTP/1.0 with Connection: keep-alive is kept alive, and says so', async () => {
    const { port } = await startServer({ handler });
    const client = await RawClient.connect(port);
    client.write('GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [first] = await client.responses(1);
    expect(header(first!, 'connection')).toBe('keep-alive');
    expect(header(first!, 'content-length')).toBe('4');
    client.write('GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const responses = await client.responses(2);
    expect(responses[1]!.body.toString()).toBe('v1.0');
    expect(client.ended).toBe(false);
  });

  it('RFC 9112 §6.3 an HTTP/1.0 response of unknown length is delimited by the close', async () => {
    const { port } = await startServer({ handler });
    const client = await RawClient.connect(port);
    client.write('GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await client.serverEnded();
    const [response] = await client.responses(1);
    expect(response!.framing).toBe('close');
    expect(response!.body.toString()).toBe('abv1.0');
    expect(header(response!, 'transfer-encoding')).toBeUndefined();
    expect(header(response!, 'connection')).toBe('close');
  });

  it('RFC 9112 §9.6 Connection: close is answered, then the server closes and reads no more', async () => {
    let calls = 0;
    const { port } = await startServer({
      handler: (req, res) => {
        calls++;
        res.end(req.target);
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/one', 'Connection: close\r\n') + get('/two'));
    const [response] = await client.responses(1);
    expect(response!.body.toString()).toBe('/one');
    expect(headerAll(response!, 'connection')).toEqual(['close']);
    await client.serverEnded();
    await sleep(20);
    expect(calls).toBe(1);
    expect(parseInt(client.text().slice(9, 12), 10)).toBe(200);
    expect(client.text()).toBe(response!.raw.toString());
  });

  it('a small body the handler did not read is skipped, and the connection reused', async () => {
    const { port } = await startServer({
      handler: async (req, res) => {
        if (req.target === '/early') await sleep(10);
        res.end(`answered ${req.target}`);
      },
    });
    const client = await RawClient.connect(port);
    const size = 200 * 1024;
    client.write(`POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: ${size}\r\n\r\n`);
    const [first] = await client.responses(1);
    expect(first!.body.toString()).toBe('answered /early');
    expect(header(first!, 'connection')).toBeUndefined();
    // The body arrives after its answer; then the next request, on the same connection.
    client.write(Buffer.alloc(size, 0x62));
    client.write(get('/next'));
    const responses = await client.responses(2);
    expect(responses[1]!.body.toString()).toBe('answered /next');
  });

  it('a large body the handler did not read costs the connection: Connection: close', async () => {
    const { port } = await startServer({ handler: (_req, res) => res.end('no') });
    const client = await RawClient.connect(port);
    client.write(`POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\nsome`);
    const [response] = await client.responses(1);
    expect(header(response!, 'connection')).toBe('close');
    await client.serverEnded();
  });

  it('HTTP/1.1 keeps the connection by default; the client port stays the same', async () => {
    const ports: number[] = [];
    const { port } = await startServer({
      handler: (req, res) => {
        ports.push(req.client.port);
        res.end();
      },
    });
    const client = await RawClient.connect(port);
    for (let i = 0; i < 3; i++) {
      client.write(get(`/${i}`));
      await client.responses(i + 1);
    }
    expect(ports).toEqual([client.port, client.port, client.port]);
  });
});

describe('handler failures and response validation', () => {
  function recording(): { errors: [Error, ErrorInfo][]; onError: (error: Error, info: ErrorInfo) => void } {
    const errors: [Error, ErrorInfo][] = [];
    return { errors, onError: (error, info) => errors.push([error, info]) };
  }

  it('a handler that throws synchronously → 500 and close; the next connection is served; onError hears it', async () => {
    const { errors, onError } = recording();
    const boom = new Error('sync boom');
    const { port } = await startServer({
      onError,
      handler: (req, res) => {
        if (req.target === '/throw') throw boom;
        res.end('fine');
      },
    });
    const response = await expectRefused(port, get('/throw'), 500, ErrorCode.HANDLER_FAILED);
    expect(response.body.toString()).not.toContain('sync boom');
    const client = await RawClient.connect(port);
    client.write(get('/ok'));
    expect((await client.responses(1))[0]!.body.toString()).toBe('fine');
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(boom);
    expect(errors[0]![1].request?.target).toBe('/throw');
    expect(errors[0]![1].client?.address).toBe('127.0.0.1');
  });

  it('a handler whose promise rejects → 500 and close; onError hears it', async () => {
    const { errors, onError } = recording();
    const { port } = await startServer({
      onError,
      handler: async (req, res) => {
        res.setHeader('X-Set-Before', 'lost');
        await sleep(5);
        if (req.target === '/throw') throw new Error('async boom');
        res.end('fine');
      },
    });
    const response = await expectRefused(port, get('/throw'), 500);
    expect(header(response, 'x-set-before')).toBeUndefined();
    const client = await RawClient.connect(port);
    client.write(get('/ok'));
    expect((await client.responses(1))[0]!.body.toString()).toBe('fine');
    expect(errors.map(([e]) => e.message)).toEqual(['async boom']);
  });

  it("a thrown SealError is answered with its own status, and not logged as a server error", async () => {
    const { errors, onError } = recording();
    const { port } = await startServer({
      onError,
      handler: async (req, res) => {
        res.end(JSON.stringify(await req.json()));
      },
    });
    await expectRefused(port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n{nope', 400, ErrorCode.INVALID_BODY);
    const client = await RawClient.connect(port);
    client.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{"a":1}');
    expect((await client.responses(1))[0]!.body.toString()).toBe('{"a":1}');
    expect(errors).toEqual([]);
  });

  it('a failing handler in a pipeline: the earlier answers stand, then 500, then nothing more', async () => {
    const { errors, onError } = recording();
    let calls = 0;
    const { port } = await startServer({
      onError,
      handler: async (req, res) => {
        calls++;
        await sleep(2);
        if (req.target === '/bad') throw new Error('bad one');
        res.end(req.target);
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/1') + get('/2') + get('/bad') + get('/never'));
    const responses = await client.responses(3);
    expect(responses.map((r) => `${r.status} ${r.status === 200 ? r.body.toString() : ''}`)).toEqual(['200 /1', '200 /2', '500 ']);
    await client.serverEnded();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
  });

  it('a handler that throws after the header left: the connection is destroyed', async () => {
    const { errors, onError } = recording();
    const { port } = await startServer({
      onError,
      handler: async (_req, res) => {
        res.write('partial');
        await sleep(5);
        throw new Error('mid-body');
      },
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    await client.serverEnded();
    // The chunked body never got its last chunk: the client can tell the response is cut.
    expect(client.text()).toContain('7\r\npartial\r\n');
    expect(client.text()).not.toContain('0\r\n\r\n');
    expect(errors.map(([e]) => e.message)).toEqual(['mid-body']);
  });

  it('a body that breaks its declared Content-Length destroys the connection, reported once', async () => {
    const { errors, onError } = recording();
    const { port } = await startServer({
      onError,
      handler: async (req, res) => {
        res.setHeader('Content-Length', 3);
        if (req.target === '/long') res.write('hello');
        else {
          res.write('h');
          await sleep(5);
        }
      },
    });
    for (const target of ['/long', '/short']) {
      const client = await RawClient.connect(port);
      client.write(get(target));
      await client.serverEnded();
      // Whatever arrived is never a complete response: the client can tell it was cut.
      expect(parseResponses(client.data()).responses).toEqual([]);
    }
    expect(errors.map(([e]) => e.message)).toEqual(['more body than Content-Length declared', 'less body than Content-Length declared']);
  });

  const splitting: [string, (res: Parameters<Handler>[1]) => void][] = [
    ['CR LF in a value', (res) => res.setHeader('X-A', 'a\r\nSet-Cookie: evil=1')],
    ['a bare LF in a value', (res) => res.setHeader('X-A', 'a\nSet-Cookie: evil=1')],
    ['a bare CR in a value', (res) => res.setHeader('X-A', 'a\rSet-Cookie: evil=1')],
    ['NUL in a value', (res) => res.appendHeader('X-A', 'a\0b')],
    ['CR LF in a name', (res) => res.setHeader('Set-Cookie: evil=1\r\nX-A', 'v')],
    ['CR LF in one of several values', (res) => res.setHeader('X-A', ['ok', 'b\r\nSet-Cookie: evil=1'])],
    ['CR LF in the reason phrase', (res) => (res.reason = 'OK\r\nSet-Cookie: evil=1')],
    ['CR LF in writeHead fields', (res) => res.writeHead(200, { 'X-A': '\r\n\r\nHTTP/1.1 200 OK' })],
  ];
  for (const [name, set] of splitting) {
    it(`RFC 9110 §5.5 response splitting attempt (${name}) → 500, nothing of it sent`, async () => {
      const { errors, onError } = recording();
      const { port } = await startServer({
        onError,
        handler: (_req, res) => {
          set(res);
          res.end('body');
        },
      });
      const response = await expectRefused(port, get('/'), 500, ErrorCode.INVALID_RESPONSE_HEADER);
      expect(response.raw.toString()).not.toMatch(/evil|HTTP\/1\.1 200/);
      expect(errors.map(([e]) => (e instanceof SealError ? e.code : e.message))).toEqual([ErrorCode.INVALID_RESPONSE_HEADER]);
    });
  }
});
