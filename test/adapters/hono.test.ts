/**
 * A real Hono application, unchanged, on Seal through `toHandler`, with fetch as the client:
 * routing, params, JSON, cookies, middleware, uploads (multipart and raw), streamed responses
 * and streamed request bodies, with backpressure both ways.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { stream, streamText } from 'hono/streaming';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchEnv } from '../../src/adapters/fetch.js';
import { CountingSource, RawClient, cleanup, header, headerAll, settles, sleep, startFetch, waitFor } from './support.js';

afterEach(cleanup);

type AppEnv = { Bindings: FetchEnv };

/** The application, as one would write it for any runtime. */
function makeApp(state: { streamed: CountingSource | undefined; gate: Promise<void> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.text('Hello, World!'));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), fields: c.req.queries('f') ?? [], agent: c.req.header('User-Agent') ?? null }));
  app.get('/posts/:post/comments/:comment{[0-9]+}', (c) => c.json(c.req.param()));
  app.post('/json', async (c) => c.json({ got: await c.req.json<unknown>() }, 201));
  app.get('/whoami', (c) => c.json({ client: c.env.client.address, port: c.env.client.port, tls: c.env.tls }));
  app.get('/cookies', (c) => {
    setCookie(c, 'first', 'one', { path: '/', httpOnly: true });
    setCookie(c, 'second', 'two, with comma', { path: '/' });
    return c.json({ seen: getCookie(c) });
  });
  app.get('/redirect', (c) => c.redirect('/users/1', 301));
  app.get('/forbidden', () => {
    throw new HTTPException(403, { message: 'no entry' });
  });
  app.get('/broken', () => {
    throw new Error('broken route');
  });
  app.post('/upload', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const values = Array.isArray(value) ? value : [value];
      out[key] = await Promise.all(
        values.map(async (v) => (typeof v === 'string' ? v : { name: v.name, type: v.type, size: v.size, sha256: createHash('sha256').update(new Uint8Array(await v.arrayBuffer())).digest('hex') })),
      );
    }
    return c.json(out);
  });
  app.put('/raw', async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.json({ size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), type: c.req.header('content-type') });
  });
  app.post('/limited', bodyLimit({ maxSize: 100, onError: (c) => c.text('too big', 413) }), async (c) => c.text(`ok ${(await c.req.text()).length}`));
  app.get('/text-stream', (c) =>
    streamText(c, async (s) => {
      await s.writeln('first');
      await state.gate;
      await s.writeln('second');
      await s.write('third');
    }),
  );
  app.get('/bytes-stream', (c) => {
    const source = new CountingSource(64 * 1024);
    state.streamed = source;
    return c.body(source.stream, 200, { 'Content-Type': 'application/octet-stream' });
  });
  app.get('/hono-stream', (c) =>
    stream(c, async (s) => {
      for (let i = 0; i < 3; i++) {
        await s.write(new TextEncoder().encode(`part ${i};`));
        await s.sleep(5);
      }
    }),
  );
  app.post('/echo-stream', async (c) => {
    // Reads the streamed request body chunk by chunk and answers with a streamed response.
    const reader = c.req.raw.body!.getReader();
    return c.body(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(new TextEncoder().encode(`${next.value.byteLength}\n`));
        },
      }),
    );
  });
  return app;
}

async function start(): Promise<{ base: string; port: number; state: { streamed: CountingSource | undefined; gate: Promise<void> }; open: () => void }> {
  let open: () => void = () => undefined;
  const state = { streamed: undefined as CountingSource | undefined, gate: new Promise<void>((resolve) => (open = resolve)) };
  const { base, port } = await startFetch(makeApp(state), { onError: () => undefined });
  return { base, port, state, open };
}

describe('a Hono application on Seal', () => {
  it('routes, with params, queries, headers and JSON', async () => {
    const { base } = await start();
    const hello = await fetch(`${base}/`);
    expect([hello.status, hello.headers.get('content-type'), hello.headers.get('content-length'), await hello.text()]).toEqual([
      200,
      'text/plain;charset=UTF-8',
      '13',
      'Hello, World!',
    ]);
    const user = await fetch(`${base}/users/42?f=a&f=b%20c`, { headers: { 'User-Agent': 'hono-test' } });
    expect(await user.json()).toEqual({ id: '42', fields: ['a', 'b c'], agent: 'hono-test' });
    expect(await (await fetch(`${base}/posts/p1/comments/77`)).json()).toEqual({ post: 'p1', comment: '77' });
    const notFound = await fetch(`${base}/posts/p1/comments/x`);
    expect([notFound.status, await notFound.text()]).toEqual([404, '404 Not Found']);
    const created = await fetch(`${base}/json`, { method: 'POST', body: JSON.stringify({ a: [1, { b: null }] }), headers: { 'Content-Type': 'application/json' } });
    expect([created.status, await created.json()]).toEqual([201, { got: { a: [1, { b: null }] } }]);
  });

  it('reaches the client address through c.env', async () => {
    const { port } = await start();
    const client = await RawClient.connect(port);
    client.write('GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(JSON.parse(response!.body.toString())).toEqual({ client: '127.0.0.1', port: client.port, tls: null });
  });

  it('sets and reads cookies, one Set-Cookie line each', async () => {
    const { port } = await start();
    const client = await RawClient.connect(port);
    client.write('GET /cookies HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n');
    const [response] = await client.responses(1);
    expect(headerAll(response!, 'set-cookie')).toEqual(['first=one; Path=/; HttpOnly', 'second=two%2C%20with%20comma; Path=/']);
    expect(JSON.parse(response!.body.toString())).toEqual({ seen: { a: '1', b: '2' } });
  });

  it('redirects, and turns exceptions into responses as Hono does', async () => {
    const { base } = await start();
    const redirect = await fetch(`${base}/redirect`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/users/1']);
    const forbidden = await fetch(`${base}/forbidden`);
    expect([forbidden.status, await forbidden.text()]).toEqual([403, 'no entry']);
    // Hono's default error handler logs the error; keep the test output clean.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = await fetch(`${base}/broken`);
    logged.mockRestore();
    expect([broken.status, await broken.text()]).toEqual([500, 'Internal Server Error']);
  });

  it('answers HEAD from the GET route, without a body', async () => {
    const { port } = await start();
    const client = await RawClient.connect(port);
    client.write('HEAD /users/7 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head, get] = await client.responses(2, 5_000, (i) => i === 0);
    expect(head!.status).toBe(200);
    expect(header(head!, 'content-type')).toBe('application/json');
    expect(header(head!, 'content-length')).toBeUndefined();
    expect(get!.body.toString()).toBe('Hello, World!');
  });

  it('takes a multipart upload with c.req.parseBody()', async () => {
    const { base } = await start();
    const file = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const form = new FormData();
    form.append('title', 'Kirk & Spock ☃');
    form.append('tag', 'a');
    form.append('tag', 'b');
    form.append('file', new Blob([file], { type: 'application/x-test' }), 'data.bin');
    const answer = await (await fetch(`${base}/upload`, { method: 'POST', body: form })).json();
    expect(answer).toEqual({
      title: ['Kirk & Spock ☃'],
      tag: ['a', 'b'],
      file: [{ name: 'data.bin', type: 'application/x-test', size: 300_000, sha256: createHash('sha256').update(file).digest('hex') }],
    });
  });

  it('takes a raw body, sized or streamed with duplex: half', async () => {
    const { base } = await start();
    const bytes = new Uint8Array(1_000_000).map((_, i) => i % 256);
    const expected = { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), type: 'application/octet-stream' };
    const sized = await fetch(`${base}/raw`, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(await sized.json()).toEqual(expected);
    const pieces = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 100_000) controller.enqueue(bytes.slice(at, at + 100_000));
        controller.close();
      },
    });
    const init = { method: 'PUT', body: pieces, duplex: 'half', headers: { 'Content-Type': 'application/octet-stream' } } as RequestInit;
    expect(await (await fetch(`${base}/raw`, init)).json()).toEqual(expected);
  });

  it("runs middleware that rebuilds the request (bodyLimit's new Request(c.req.raw, …))", async () => {
    const { base } = await start();
    const small = await fetch(`${base}/limited`, { method: 'POST', body: 'x'.repeat(50) });
    expect([small.status, await small.text()]).toEqual([200, 'ok 50']);
    const big = await fetch(`${base}/limited`, { method: 'POST', body: 'x'.repeat(500) });
    expect([big.status, await big.text()]).toEqual([413, 'too big']);
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('y'.repeat(60)));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/limited`, { method: 'POST', body: streamed, duplex: 'half' } as RequestInit);
    expect([chunked.status, await chunked.text()]).toEqual([200, 'ok 60']);
  });

  it('streams text as it is written (streamText): the first line arrives before the rest is written', async () => {
    const { base, open } = await start();
    const response = await fetch(`${base}/text-stream`);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    expect(first.value).toBe('first\n');
    open();
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += next.value;
    expect(rest).toBe('second\nthird');
  });

  it('streams bytes with stream(), read chunk by chunk', async () => {
    const { base } = await start();
    const response = await fetch(`${base}/hono-stream`);
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(new TextDecoder().decode(next.value));
    expect(chunks.join('')).toBe('part 0;part 1;part 2;');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
  });

  it('holds a streamed response back while the client does not read (backpressure)', async () => {
    const { base, state } = await start();
    const response = await fetch(`${base}/bytes-stream`);
    const reader = response.body!.getReader();
    let read = 0;
    for (let i = 0; i < 10; i++) read += (await reader.read()).value?.byteLength ?? 0;
    const produced = await settles(() => state.streamed!.pulled, 300, 10_000);
    expect(produced - read).toBeLessThan(16 * 1024 * 1024);
    await sleep(200);
    expect(state.streamed!.pulled).toBe(produced);
    // Reading again lets it go on.
    for (let i = 0; i < 200; i++) read += (await reader.read()).value?.byteLength ?? 0;
    await waitFor(() => state.streamed!.pulled > produced, 5_000, 'production to go on');
    await reader.cancel();
  });

  it('streams both ways at once: a request body read as it arrives, answered as it is read', async () => {
    const { base } = await start();
    const source = new CountingSource(10_000, 200_000);
    const response = await fetch(`${base}/echo-stream`, { method: 'POST', body: source.stream, duplex: 'half' } as RequestInit);
    const text = await response.text();
    const sizes = text.trim().split('\n').map(Number);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200_000);
    expect(source.pulled).toBe(200_000);
  });
});
