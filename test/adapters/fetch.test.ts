/**
 * The fetch adapter end to end: fetch applications on a real Seal server, with fetch (and raw
 * sockets where fetch cannot say it) as the client. What the application sees of the request is
 * what a platform Request made from the same pieces shows; what it answers arrives as it said it,
 * bodies stream both ways with backpressure, and a client that goes away aborts `request.signal`.
 */
import { createHash } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchResponse } from '../../src/adapters/fetch-response.js';
import { installFetchGlobals, serveFetch, toHandler, uninstallFetchGlobals, type FetchEnv } from '../../src/adapters/fetch.js';
import { PlatformRequest, PlatformResponse } from '../../src/adapters/platform.js';
import type { HttpServer } from '../../src/http/server.js';
import { CERT, cleanup as cleanupTls, startHttps } from '../tls/helpers.js';
import { CountingSource, RawClient, cleanup, header, headerAll, settles, sleep, startFetch, waitFor, within } from './support.js';

afterEach(async () => {
  await cleanup();
  await cleanupTls();
});

const ATTRIBUTES = [
  'method', 'url', 'cache', 'credentials', 'destination', 'integrity', 'mode', 'redirect', 'referrer', 'referrerPolicy',
  'keepalive', 'isReloadNavigation', 'isHistoryNavigation', 'duplex', 'bodyUsed',
] as const;

/** Every attribute of a Request, its headers and body, and whether it is a Request. */
async function describeRequest(request: Request): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  // Some attributes (isHistoryNavigation …) are not in the Request type; they are on the object.
  const attributes = request as unknown as Record<string, unknown>;
  for (const name of ATTRIBUTES) seen[name] = attributes[name];
  seen.headers = [...request.headers];
  seen.hasBody = request.body !== null;
  seen.isRequest = request instanceof Request;
  seen.aborted = request.signal.aborted;
  seen.text = await request.text();
  seen.bodyUsedAfter = request.bodyUsed;
  return seen;
}

describe('the request a fetch application sees', () => {
  it('is what a platform Request made from the same pieces shows', async () => {
    const { base } = await startFetch(async (request) => {
      const pieces = { method: request.method, headers: [...request.headers], body: request.body === null ? null : await request.clone().arrayBuffer() };
      const platform = new PlatformRequest(request.url, { method: pieces.method, headers: pieces.headers, body: pieces.body });
      const [mine, theirs] = await Promise.all([describeRequest(request), describeRequest(platform)]);
      return Response.json({ mine, theirs });
    });
    for (const init of [
      {},
      { method: 'POST', body: 'posted body ☃', headers: { 'Content-Type': 'text/plain', 'X-Custom': 'yes' } },
      { method: 'PUT', body: new Uint8Array(70_000).fill(7) },
      { method: 'DELETE' },
    ]) {
      const answer = (await (await fetch(`${base}/path/x?q=1&r=%20`, init)).json()) as { mine: unknown; theirs: unknown };
      expect(answer.mine).toEqual(answer.theirs);
    }
  });

  it('gets the URL from the Host field', async () => {
    const { port } = await startFetch((request) => new Response(request.url));
    const client = await RawClient.connect(port);
    client.write('GET /a/../b?x=%41 HTTP/1.1\r\nHost: Example.COM:80\r\n\r\nGET /c HTTP/1.1\r\nHost: api.example:8443\r\n\r\n');
    const [first, second] = await client.responses(2);
    expect(first!.body.toString()).toBe('http://example.com/b?x=%41');
    expect(second!.body.toString()).toBe('http://api.example:8443/c');
  });

  it('gets https URLs over TLS', async () => {
    const { port } = await startHttps({ handler: toHandler((request: Request) => new Response(request.url)) });
    const dispatcher = new Agent({ connect: { ca: CERT.certPem, rejectUnauthorized: false } });
    const response = await undiciFetch(`https://localhost:${port}/secure?x`, { dispatcher });
    expect(await response.text()).toBe(`https://localhost:${port}/secure?x`);
    await dispatcher.close();
  });

  it('gets the client and server addresses, and TLS, as its second argument', async () => {
    let env: FetchEnv | undefined;
    const { port } = await startFetch((_request, e) => {
      env = e;
      return new Response('ok');
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.responses(1);
    expect(env).toEqual({
      client: { address: '127.0.0.1', port: client.port, family: 'IPv4' },
      server: { address: '127.0.0.1', port, family: 'IPv4' },
      tls: null,
    });
  });

  it('sees repeated fields joined with ", ", Cookie with "; "', async () => {
    const { port } = await startFetch((request) => Response.json(Object.fromEntries(request.headers)));
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\nCookie: c=1\r\nAccept: b\r\ncookie: d=2\r\nX-Empty:\r\n\r\n');
    const [response] = await client.responses(1);
    expect(JSON.parse(response!.body.toString())).toEqual({ accept: 'a, b', cookie: 'c=1; d=2', host: 'x', 'x-empty': '' });
  });

  it('reads a body once; a second read, or clone() after it, is refused as the platform refuses it', async () => {
    const { base } = await startFetch(async (request) => {
      const first = await request.text();
      const second = await request.text().then(
        () => 'read twice',
        (error: Error) => `${error.name}: ${error.message}`,
      );
      let clone = 'cloned';
      try {
        request.clone();
      } catch (error) {
        clone = (error as Error).name;
      }
      return Response.json({ first, second, clone, used: request.bodyUsed, locked: request.body?.locked });
    });
    const answer = await (await fetch(base, { method: 'POST', body: 'once' })).json();
    expect(answer).toEqual({ first: 'once', second: 'TypeError: Body is unusable: Body has already been read', clone: 'TypeError', used: true, locked: true });
  });

  it('can be cloned, and given to new Request() (the body goes with it)', async () => {
    const { base } = await startFetch(async (request) => {
      const copy = request.clone();
      const rebuilt = new Request(copy, { headers: { 'x-rebuilt': '1' } });
      const [a, b] = await Promise.all([request.text(), rebuilt.text()]);
      return Response.json({ a, b, rebuiltHeader: rebuilt.headers.get('x-rebuilt'), copyUsed: copy.bodyUsed, url: rebuilt.url });
    });
    const answer = await (await fetch(`${base}/r`, { method: 'POST', body: 'tee' })).json();
    expect(answer).toEqual({ a: 'tee', b: 'tee', rebuiltHeader: '1', copyUsed: true, url: `${base}/r` });
  });

  it('reads the body as arrayBuffer, bytes, json, blob and formData', async () => {
    const { base } = await startFetch(async (request) => {
      const kind = new URL(request.url).pathname;
      if (kind === '/arrayBuffer') return new Response(String((await request.arrayBuffer()).byteLength));
      if (kind === '/bytes') return new Response(String((await (request as Request & { bytes(): Promise<Uint8Array> }).bytes()).byteLength));
      if (kind === '/json') return Response.json(await request.json());
      if (kind === '/blob') {
        const blob = await request.blob();
        return new Response(`${blob.type} ${blob.size}`);
      }
      const form = await request.formData();
      return Response.json([...form].map(([k, v]) => [k, typeof v === 'string' ? v : `${v.name} ${v.size}`]));
    });
    expect(await (await fetch(`${base}/arrayBuffer`, { method: 'POST', body: '12345' })).text()).toBe('5');
    expect(await (await fetch(`${base}/bytes`, { method: 'POST', body: '1234' })).text()).toBe('4');
    expect(await (await fetch(`${base}/json`, { method: 'POST', body: '{"a":[1,2]}' })).json()).toEqual({ a: [1, 2] });
    const blob = await fetch(`${base}/blob`, { method: 'POST', body: 'abc', headers: { 'Content-Type': 'Text/Plain; Charset=UTF-8' } });
    expect(await blob.text()).toBe('text/plain;charset=utf-8 3'); // as Request.blob() serializes the type
    const form = new FormData();
    form.append('field', 'value');
    form.append('file', new Blob(['file content']), 'name.txt');
    expect(await (await fetch(`${base}/form`, { method: 'POST', body: form })).json()).toEqual([['field', 'value'], ['file', 'name.txt 12']]);
  });

  it('answers 413 when a body read whole is larger than maxBodyBytes', async () => {
    const { base } = await startFetch(async (request) => new Response(await request.text()), { maxBodyBytes: 1000, onError: () => undefined });
    const response = await fetch(base, { method: 'POST', body: 'x'.repeat(5000) });
    expect(response.status).toBe(413);
  });

  it('streams a request body as the application reads it: a slow reader holds the client back', async () => {
    const source = new CountingSource(64 * 1024, 16 * 1024 * 1024);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstChunk = 0;
    const { base } = await startFetch(async (request) => {
      const reader = request.body!.getReader();
      const first = await reader.read();
      firstChunk = first.value?.byteLength ?? 0;
      await released;
      const hash = createHash('sha256');
      let total = firstChunk;
      hash.update(first.value!);
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        total += next.value.byteLength;
        hash.update(next.value);
      }
      return Response.json({ total, sha256: hash.digest('hex') });
    });
    const init = { method: 'POST', body: source.stream, duplex: 'half' } as RequestInit;
    const answer = fetch(base, init);
    await waitFor(() => firstChunk > 0, 5_000, 'the first chunk to reach the application');
    // The application is not reading: the client may fill Seal's queue and the socket buffers, no more.
    const stalled = await settles(() => source.pulled, 300, 10_000);
    expect(stalled).toBeLessThan(12 * 1024 * 1024);
    release();
    const result = (await (await answer).json()) as { total: number; sha256: string };
    expect(result.total).toBe(16 * 1024 * 1024);
    expect(result.sha256).toBe(createHash('sha256').update(new Uint8Array(16 * 1024 * 1024).fill(0x61)).digest('hex'));
  });

  it('sends 100 Continue only when the application reads the body', async () => {
    const { port } = await startFetch(async (request) => {
      if (new URL(request.url).pathname === '/read') return new Response(await request.text());
      return new Response('not read', { status: 403 });
    });
    const reader = await RawClient.connect(port);
    reader.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    await reader.until(() => reader.text().includes('100 Continue'), 5_000, '100 Continue');
    reader.write('abc');
    const answered = await reader.responses(2);
    expect(answered[1]!.body.toString()).toBe('abc');
    const refuser = await RawClient.connect(port);
    refuser.write('POST /no HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
    const [refused] = await refuser.responses(1);
    expect(refused!.status).toBe(403);
    expect(refuser.text()).not.toContain('100 Continue');
  });
});

describe('the response a fetch application gives', () => {
  it('arrives as it was made: status, reason, headers, Set-Cookie lines apart, an exact Content-Length', async () => {
    const { port } = await startFetch(() => {
      const headers = new Headers({ 'Content-Type': 'application/json', 'X-Joined': 'a' });
      headers.append('X-Joined', 'b');
      headers.append('Set-Cookie', 'a=1; Path=/');
      headers.append('Set-Cookie', 'b=2, with a comma; HttpOnly');
      return new Response('{"ok":true}', { status: 201, statusText: 'Made It', headers });
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.status).toBe(201);
    expect(response!.reason).toBe('Made It');
    expect(header(response!, 'content-type')).toBe('application/json');
    expect(header(response!, 'x-joined')).toBe('a, b');
    expect(headerAll(response!, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2, with a comma; HttpOnly']);
    expect(response!.framing).toBe('length');
    expect(header(response!, 'content-length')).toBe('11');
    expect(response!.body.toString()).toBe('{"ok":true}');
  });

  it('writes a body given whole with one write', async () => {
    const { port } = await startFetch(() => new Response('Hello, World!'));
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(client.reads).toBe(1);
    expect(header(response!, 'content-type')).toBe('text/plain;charset=UTF-8');
    expect(response!.body.toString()).toBe('Hello, World!');
  });

  it('writes platform Responses too: whole when short and sized, streamed otherwise', async () => {
    const { port } = await startFetch((request) => {
      const path = new URL(request.url).pathname;
      if (path === '/sized') return new PlatformResponse(new Blob(['sized body']), { headers: { 'X-P': '1', 'Content-Length': '10' } });
      if (path === '/json') return PlatformResponse.json({ a: 1 });
      return new PlatformResponse(new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('streamed')), c.close()) }));
    });
    const client = await RawClient.connect(port);
    client.write('GET /sized HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\nGET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    const [sized, json, stream] = await client.responses(3);
    expect([sized!.framing, sized!.body.toString(), header(sized!, 'x-p')]).toEqual(['length', 'sized body', '1']);
    expect([json!.framing, json!.body.toString(), header(json!, 'content-type')]).toEqual(['chunked', '{"a":1}', 'application/json']);
    expect([stream!.framing, stream!.body.toString()]).toEqual(['chunked', 'streamed']);
  });

  it('answers HEAD with the header only, not claiming a length it does not know', async () => {
    const { port } = await startFetch((request) => {
      if (new URL(request.url).pathname === '/whole') return new Response('thirteen char');
      return new Response(request.method === 'HEAD' ? null : 'whatever', { headers: { 'X-H': '1' } });
    });
    const client = await RawClient.connect(port);
    client.write('HEAD /whole HTTP/1.1\r\nHost: x\r\n\r\nHEAD /null HTTP/1.1\r\nHost: x\r\n\r\nGET /whole HTTP/1.1\r\nHost: x\r\n\r\n');
    const [whole, none, get] = await client.responses(3, 5_000, (i) => i < 2);
    expect(header(whole!, 'content-length')).toBe('13');
    expect(header(none!, 'content-length')).toBeUndefined();
    expect(header(none!, 'x-h')).toBe('1');
    expect(get!.body.toString()).toBe('thirteen char');
  });

  it('answers 500 when the application throws, rejects, or answers with something else', async () => {
    const errors: Error[] = [];
    const { port } = await startFetch(
      async (request) => {
        const path = new URL(request.url).pathname;
        if (path === '/throws') throw new Error('boom');
        if (path === '/error') return Response.error();
        if (path === '/nothing') return undefined as unknown as Response;
        await sleep(1);
        throw new Error('late boom');
      },
      { onError: (error) => errors.push(error) },
    );
    for (const path of ['/throws', '/rejects', '/error', '/nothing']) {
      const client = await RawClient.connect(port);
      client.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [response] = await client.responses(1);
      expect(response!.status, path).toBe(500);
    }
    expect(errors.map((e) => e.message)).toEqual([
      'boom',
      'late boom',
      'the fetch application answered with Response.error()',
      'the fetch application did not answer with a Response',
    ]);
  });

  it('sends a Response with a body once, as a platform server would (its body is read then); one without, again and again', async () => {
    const once = new Response('once');
    const empty = new Response(null, { status: 204 });
    const { port } = await startFetch((request) => (new URL(request.url).pathname === '/once' ? once : empty), { onError: () => undefined });
    const client = await RawClient.connect(port);
    client.write('GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /once HTTP/1.1\r\nHost: x\r\n\r\n');
    const [first, second, third] = await client.responses(3);
    expect([first!.status, second!.status, third!.body.toString()]).toEqual([204, 204, 'once']);
    expect(once.bodyUsed).toBe(true);
    const again = await RawClient.connect(port);
    again.write('GET /once HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await again.responses(1))[0]!.status).toBe(500);
  });

  it('streams a response body as the client reads it: a slow reader holds the application back', async () => {
    const source = new CountingSource(64 * 1024);
    const { base } = await startFetch(() => new Response(source.stream));
    const response = await fetch(base);
    const reader = response.body!.getReader();
    let read = 0;
    for (let i = 0; i < 20; i++) {
      const next = await reader.read();
      read += next.value?.byteLength ?? 0;
      await sleep(5);
    }
    // The client stops reading: production stops once the buffers between are full.
    const stalled = await settles(() => source.pulled, 300, 10_000);
    expect(stalled - read).toBeLessThan(16 * 1024 * 1024);
    expect(source.cancelled).toBeUndefined();
    await reader.cancel();
  });

  it('aborts request.signal when the client goes away mid-response, and cancels the body stream', async () => {
    let signal: AbortSignal | undefined;
    const source = new CountingSource(1024);
    const { base } = await startFetch((request) => {
      signal = request.signal;
      let timer: NodeJS.Timeout | undefined;
      const slow = new ReadableStream<Uint8Array>({
        pull: (controller) =>
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              controller.enqueue(new Uint8Array(1024));
              resolve();
            }, 10);
          }),
        cancel: (reason) => {
          clearTimeout(timer);
          source.cancelled = reason;
        },
      });
      return new Response(slow);
    });
    const controller = new AbortController();
    const response = await fetch(base, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    expect(signal!.aborted).toBe(false);
    controller.abort();
    await waitFor(() => signal!.aborted, 5_000, 'request.signal to abort');
    expect((signal!.reason as Error).name).toBe('AbortError');
    await waitFor(() => source.cancelled !== undefined, 5_000, 'the body stream to be cancelled');
  });

  it('leaves request.signal alone when the response ended', async () => {
    let signal: AbortSignal | undefined;
    const { port } = await startFetch((request) => {
      signal = request.signal;
      return new Response('done');
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.responses(1);
    client.destroy();
    await sleep(50);
    expect(signal!.aborted).toBe(false);
  });
});

describe('the ways to run a fetch application', () => {
  it('takes a bare function, or an object whose fetch is called as a method', async () => {
    const app = {
      greeting: 'from a method',
      fetch(this: { greeting: string }): Response {
        return new Response(this.greeting);
      },
    };
    const { base: viaObject } = await startFetch(app);
    expect(await (await fetch(viaObject)).text()).toBe('from a method');
    const { base: viaFunction } = await startFetch(() => new Response('from a function'));
    expect(await (await fetch(viaFunction)).text()).toBe('from a function');
  });

  it('leaves the globals alone with globals: false, and answers the same, through streams', async () => {
    uninstallFetchGlobals();
    try {
      const { port } = await startFetch(() => new Response('platform body', { headers: { 'X-G': '1' } }), { globals: false });
      expect(globalThis.Response).toBe(PlatformResponse);
      expect(globalThis.Request).toBe(PlatformRequest);
      const client = await RawClient.connect(port);
      client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const [response] = await client.responses(1);
      expect([response!.body.toString(), header(response!, 'x-g'), header(response!, 'content-type')]).toEqual(['platform body', '1', 'text/plain;charset=UTF-8']);
    } finally {
      installFetchGlobals();
    }
    expect(globalThis.Response).toBe(FetchResponse);
  });

  it('refuses what is neither', () => {
    expect(() => toHandler({} as unknown as () => Response)).toThrow(TypeError);
  });

  it('serveFetch starts a server for a fetch function', async () => {
    let server: HttpServer | undefined;
    try {
      server = await within(serveFetch({ port: 0, fetch: () => new Response('served') }), 5_000, 'listen');
      expect(await (await fetch(`http://127.0.0.1:${server.address!.port}/`)).text()).toBe('served');
    } finally {
      await server?.close();
    }
  });
});

describe('behind a trusted proxy', () => {
  it("the URL has the scheme the client used, as the proxy's X-Forwarded-Proto says; an untrusted peer's is ignored", async () => {
    const app = (request: Request) => new Response(request.url);
    const trusted = await startFetch(app, { trustProxy: ['127.0.0.1'] });
    const untrusted = await startFetch(app);
    const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' };
    expect(await (await fetch(`${trusted.base}/a?b=1`, { headers })).text()).toBe(`https://127.0.0.1:${trusted.port}/a?b=1`);
    expect(await (await fetch(`${untrusted.base}/a?b=1`, { headers })).text()).toBe(`http://127.0.0.1:${untrusted.port}/a?b=1`);
  });
});
