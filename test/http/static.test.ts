/**
 * serveStatic and sendFile over real sockets, in process, against a folder made for the test:
 * media types, validators and 304/412 (RFC 9110 §13), ranges, multipart/byteranges and 416
 * (RFC 9110 §14), folders (redirect, index.html, the listing and its escaping), methods (405),
 * links leading out of the folder, and streaming a large file with backpressure.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/http/options.js';
import { sendFile, serveStatic, type StaticOptions } from '../../src/http/static.js';
import { RawClient, cleanup, header, startServer, waitFor, within, type HttpResponse } from '../e2e/support.js';

let base: string;
let root: string;
const TEXT = 'Hello, static world!\n';
const BINARY = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
const OUTSIDE = 'outside content 7f3a9c\n';

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'seal-static-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'docs', 'deep'), { recursive: true });
  mkdirSync(join(root, 'site'));
  mkdirSync(join(root, 'evil.example'));
  mkdirSync(join(root, '.git'));
  mkdirSync(join(base, 'outside-dir'));
  writeFileSync(join(root, 'hello.txt'), TEXT);
  writeFileSync(join(root, 'data.bin'), BINARY);
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, 'page.html'), '<p>page</p>');
  writeFileSync(join(root, 'style.css'), 'p{}');
  writeFileSync(join(root, 'unknown.zzz'), 'zzz');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(root, '.git', 'config'), '[core]');
  writeFileSync(join(root, 'site', 'index.html'), '<h1>site</h1>');
  writeFileSync(join(root, 'docs', 'a <b> & "c".txt'), 'escaped');
  writeFileSync(join(root, 'docs', 'javascript:alert(1)'), 'colon');
  writeFileSync(join(root, 'docs', 'deep', 'x.json'), '{}');
  writeFileSync(join(base, 'secret.txt'), OUTSIDE);
  writeFileSync(join(base, 'outside-dir', 'inner.txt'), OUTSIDE);
  symlinkSync(join(base, 'secret.txt'), join(root, 'docs', 'leak.txt'));
  symlinkSync(join(base, 'outside-dir'), join(root, 'docs', 'leak-dir'));
  symlinkSync(join(root, 'hello.txt'), join(root, 'docs', 'alias.txt'));
  symlinkSync(join(root, 'missing'), join(root, 'docs', 'broken'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));
afterEach(cleanup);

async function serveFolder(options: StaticOptions = {}, wrap?: (handler: Handler) => Handler): Promise<number> {
  const handler = serveStatic(root, options);
  const { port } = await startServer({ handler: wrap ? wrap(handler) : handler, onError: () => undefined });
  return port;
}

/** Sends one request (a target, or a whole request when it has a space) and reads the answer. */
async function request(port: number, target: string, fields = '', method = 'GET'): Promise<HttpResponse> {
  const client = await RawClient.connect(port);
  client.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${fields}\r\n`);
  const [response] = await client.responses(1, 5_000, () => method === 'HEAD');
  client.destroy();
  return response!;
}

function lastModifiedOf(path: string): string {
  return new Date(Math.floor(statSync(path).mtimeMs / 1000) * 1000).toUTCString();
}

/** The parts of a multipart/byteranges body (RFC 9110 §14.6). */
function byteranges(response: HttpResponse): { type: string | undefined; range: string | undefined; data: Buffer }[] {
  const match = /^multipart\/byteranges; boundary=(.+)$/.exec(header(response, 'content-type') ?? '');
  expect(match, 'a multipart/byteranges Content-Type').not.toBeNull();
  const delimiter = Buffer.from(`--${match![1]}`);
  const body = response.body;
  const parts: { type: string | undefined; range: string | undefined; data: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  expect(pos).toBe(0);
  for (;;) {
    const after = pos + delimiter.length;
    if (body.subarray(after, after + 4).toString() === '--\r\n') {
      expect(after + 4).toBe(body.length);
      return parts;
    }
    const headEnd = body.indexOf('\r\n\r\n', after);
    const lines = body.subarray(after + 2, headEnd).toString('latin1').split('\r\n');
    const get = (name: string): string | undefined => lines.find((l) => l.toLowerCase().startsWith(name + ':'))?.slice(name.length + 1).trim();
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd);
    parts.push({ type: get('content-type'), range: get('content-range'), data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
}

describe('files', () => {
  it('GET: the bytes, the media type, validators, Accept-Ranges, Cache-Control, nosniff', async () => {
    const port = await serveFolder();
    const response = await request(port, '/hello.txt');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(TEXT);
    expect(header(response, 'content-type')).toBe('text/plain; charset=utf-8');
    expect(header(response, 'content-length')).toBe(String(TEXT.length));
    expect(header(response, 'etag')).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(header(response, 'last-modified')).toBe(lastModifiedOf(join(root, 'hello.txt')));
    expect(header(response, 'accept-ranges')).toBe('bytes');
    expect(header(response, 'cache-control')).toBe('no-cache');
    expect(header(response, 'x-content-type-options')).toBe('nosniff');
  });

  it('HEAD: the same fields, no content', async () => {
    const port = await serveFolder();
    const get = await request(port, '/data.bin');
    const head = await request(port, '/data.bin', '', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.raw.toString('latin1').endsWith('\r\n\r\n')).toBe(true);
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges']) expect(header(head, name), name).toBe(header(get, name));
    expect(header(get, 'content-type')).toBe('application/octet-stream');
    expect(get.body.equals(BINARY)).toBe(true);
  });

  it('media types by extension; unknown is application/octet-stream', async () => {
    const port = await serveFolder();
    expect(header(await request(port, '/page.html'), 'content-type')).toBe('text/html; charset=utf-8');
    expect(header(await request(port, '/style.css'), 'content-type')).toBe('text/css; charset=utf-8');
    expect(header(await request(port, '/unknown.zzz'), 'content-type')).toBe('application/octet-stream');
    expect(header(await request(port, '/docs/deep/x.json'), 'content-type')).toBe('application/json; charset=utf-8');
  });

  it('an empty file is 200 with Content-Length: 0, with or without Range', async () => {
    const port = await serveFolder();
    for (const fields of ['', 'Range: bytes=0-\r\n']) {
      const response = await request(port, '/empty.txt', fields);
      expect(response.status).toBe(200);
      expect(header(response, 'content-length')).toBe('0');
    }
  });

  it('404 for what is not there, for a file asked for as a folder, and for dotfiles', async () => {
    const port = await serveFolder();
    for (const target of ['/missing.txt', '/hello.txt/', '/docs/missing/x', '/.env', '/.git/config', '/%2eenv']) {
      const response = await request(port, target);
      expect(response.status, target).toBe(404);
      expect(response.body.toString()).toBe('404 Not Found\n');
    }
  });

  it('serves dotfiles when told to', async () => {
    const port = await serveFolder({ dotfiles: true });
    expect((await request(port, '/.env')).body.toString()).toBe('SECRET=1');
  });

  it('405 with Allow for every method but GET and HEAD; the connection survives a body', async () => {
    const port = await serveFolder();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
      const response = await request(port, '/hello.txt', '', method);
      expect(response.status, method).toBe(405);
      expect(header(response, 'allow')).toBe('GET, HEAD');
    }
    const client = await RawClient.connect(port);
    client.write('POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    const [refused, served] = await client.responses(2);
    expect(refused!.status).toBe(405);
    expect(served!.body.toString()).toBe(TEXT);
  });

  it('a Last-Modified in the future is the present (RFC 9110 §8.8.2.1)', async () => {
    const future = join(root, 'future.txt');
    writeFileSync(future, 'later');
    const inAYear = Date.now() / 1000 + 365 * 86400;
    utimesSync(future, inAYear, inAYear);
    const port = await serveFolder();
    const response = await request(port, '/future.txt');
    expect(Date.parse(header(response, 'last-modified')!)).toBeLessThanOrEqual(Date.parse(header(response, 'date')!));
  });

  it.skipIf(process.getuid?.() === 0)('403 for a file that may not be read', async () => {
    const locked = join(root, 'locked.txt');
    writeFileSync(locked, 'no', { mode: 0o000 });
    const port = await serveFolder();
    expect((await request(port, '/locked.txt')).status).toBe(403);
  });

  it('a FIFO is 404 and does not block the server', async () => {
    const fifo = join(root, 'pipe.txt');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here: nothing to test
    }
    const port = await serveFolder();
    expect((await request(port, '/pipe.txt')).status).toBe(404);
    expect((await request(port, '/hello.txt')).status).toBe(200);
    rmSync(fifo);
  });
});

describe('links', () => {
  it('a link leading outside the folder is 404, and its target never appears', async () => {
    const port = await serveFolder();
    for (const target of ['/docs/leak.txt', '/docs/leak-dir/inner.txt', '/docs/leak-dir/', '/docs/leak-dir', '/docs/broken']) {
      const response = await request(port, target);
      expect(response.status, target).toBe(404);
      expect(response.raw.toString('latin1')).not.toContain(OUTSIDE.trim());
    }
  });

  it('a link inside the folder is served, named by its own extension', async () => {
    const port = await serveFolder();
    const response = await request(port, '/docs/alias.txt');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(TEXT);
  });

  it('a folder served through a link is confined to where the link leads', async () => {
    const linkedRoot = join(base, 'linked-root');
    symlinkSync(root, linkedRoot);
    const { port } = await startServer({ handler: serveStatic(linkedRoot) });
    expect((await request(port, '/hello.txt')).body.toString()).toBe(TEXT);
    expect((await request(port, '/docs/leak.txt')).status).toBe(404);
  });

  it('a root that is not a folder throws when the handler is made', () => {
    expect(() => serveStatic(join(root, 'hello.txt'))).toThrow();
    expect(() => serveStatic(join(base, 'nope'))).toThrow();
  });
});

describe('folders', () => {
  it('redirects a folder without "/" to the "/" form, keeping the query', async () => {
    const port = await serveFolder();
    const response = await request(port, '/docs?sort=name');
    expect(response.status).toBe(301);
    expect(header(response, 'location')).toBe('/docs/?sort=name');
    expect(header(response, 'content-length')).toBe('0');
    expect(header(await request(port, '/docs/deep'), 'location')).toBe('/docs/deep/');
  });

  it('builds the Location from the checked names: "//evil.example" is not a redirect to another host', async () => {
    const port = await serveFolder();
    for (const target of ['//evil.example', '///evil.example', '/%2Fevil.example']) {
      const response = await request(port, target);
      const location = header(response, 'location');
      if (location !== undefined) expect(location, target).toBe('/evil.example/');
      else expect(response.status, target).toBe(403);
    }
  });

  it('serves index.html for a folder', async () => {
    const port = await serveFolder();
    const response = await request(port, '/site/');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('<h1>site</h1>');
    expect(header(response, 'content-type')).toBe('text/html; charset=utf-8');
    expect(header(response, 'etag')).toBeDefined();
  });

  it('lists a folder without index.html: folders first, names escaped and encoded, hidden and escaping entries left out', async () => {
    const port = await serveFolder();
    const response = await request(port, '/docs/');
    expect(response.status).toBe(200);
    expect(header(response, 'content-type')).toBe('text/html; charset=utf-8');
    expect(header(response, 'content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = response.body.toString();
    expect(html).toContain('<title>Index of /docs/</title>');
    const links = [...html.matchAll(/<li><a href="([^"]*)">([^<]*)<\/a><\/li>/g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      ['../', '../'],
      ['deep/', 'deep/'],
      ['a%20%3Cb%3E%20%26%20%22c%22.txt', 'a &lt;b&gt; &amp; &quot;c&quot;.txt'],
      ['alias.txt', 'alias.txt'],
      ['javascript%3Aalert(1)', 'javascript:alert(1)'],
    ]);
    expect(html).not.toContain('leak');
    expect(html).not.toContain('broken');
    expect(html).not.toContain('<b>');
  });

  it('the root listing has no "../" and no dotfiles', async () => {
    const port = await serveFolder();
    const html = (await request(port, '/')).body.toString();
    expect(html).toContain('<title>Index of /</title>');
    expect(html).not.toContain('href="../"');
    expect(html).not.toContain('.env');
    expect(html).not.toContain('.git');
    expect(html).toContain('<a href="hello.txt">hello.txt</a>');
    expect(html).toContain('<a href="site/">site/</a>');
  });

  it('listing: false is 404; index: false lists even where index.html is', async () => {
    const quiet = await serveFolder({ listing: false });
    expect((await request(quiet, '/docs/')).status).toBe(404);
    expect((await request(quiet, '/site/')).status).toBe(200);
    const noIndex = await serveFolder({ index: false });
    expect((await request(noIndex, '/site/')).body.toString()).toContain('<a href="index.html">index.html</a>');
  });

  it('HEAD of a listing has its fields and no content', async () => {
    const port = await serveFolder();
    const response = await request(port, '/docs/', '', 'HEAD');
    expect(response.status).toBe(200);
    expect(Number(header(response, 'content-length'))).toBeGreaterThan(100);
    expect(response.body.length).toBe(0);
  });

  it('under a prefix: the prefix is stripped, the redirect keeps it, other paths are 404', async () => {
    const port = await serveFolder({ prefix: '/static' });
    expect((await request(port, '/static/hello.txt')).body.toString()).toBe(TEXT);
    expect(header(await request(port, '/static'), 'location')).toBe('/static/');
    expect(header(await request(port, '/static/docs'), 'location')).toBe('/static/docs/');
    const top = (await request(port, '/static/')).body.toString();
    expect(top).toContain('Index of /static/');
    expect(top).not.toContain('href="../"'); // the top of what is served
    expect((await request(port, '/static/docs/')).body.toString()).toContain('<a href="../">../</a>');
    expect((await request(port, '/hello.txt')).status).toBe(404);
    expect((await request(port, '/static/../hello.txt')).status).toBe(403);
  });
});

describe('conditional requests (RFC 9110 §13)', () => {
  it('If-None-Match with the ETag → 304 with the validators and no content', async () => {
    const port = await serveFolder();
    const first = await request(port, '/hello.txt');
    const etag = header(first, 'etag')!;
    for (const value of [etag, etag.slice(2), `"x", ${etag}`, '*']) {
      const response = await request(port, '/hello.txt', `If-None-Match: ${value}\r\n`);
      expect(response.status, value).toBe(304);
      expect(response.raw.toString('latin1').endsWith('\r\n\r\n')).toBe(true);
      expect(header(response, 'etag')).toBe(etag);
      expect(header(response, 'last-modified')).toBe(header(first, 'last-modified'));
      expect(header(response, 'cache-control')).toBe('no-cache');
      expect(header(response, 'content-length')).toBeUndefined();
    }
    expect((await request(port, '/hello.txt', 'If-None-Match: "other"\r\n')).status).toBe(200);
    expect((await request(port, '/hello.txt', `If-None-Match: ${etag}\r\n`, 'HEAD')).status).toBe(304);
  });

  it('If-Modified-Since → 304 at or after Last-Modified, 200 before; If-None-Match takes precedence', async () => {
    const port = await serveFolder();
    const lastModified = lastModifiedOf(join(root, 'hello.txt'));
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await request(port, '/hello.txt', `If-Modified-Since: ${lastModified}\r\n`)).status).toBe(304);
    expect((await request(port, '/hello.txt', `If-Modified-Since: ${new Date().toUTCString()}\r\n`)).status).toBe(304);
    expect((await request(port, '/hello.txt', `If-Modified-Since: ${earlier}\r\n`)).status).toBe(200);
    expect((await request(port, '/hello.txt', 'If-Modified-Since: garbage\r\n')).status).toBe(200);
    expect((await request(port, '/hello.txt', `If-None-Match: "other"\r\nIf-Modified-Since: ${lastModified}\r\n`)).status).toBe(200);
  });

  it('a changed file has a new ETag and Last-Modified: the old validators get 200', async () => {
    const path = join(root, 'changing.txt');
    writeFileSync(path, 'one');
    utimesSync(path, 1_600_000_000, 1_600_000_000);
    const port = await serveFolder();
    const before = await request(port, '/changing.txt');
    writeFileSync(path, 'two!');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const after = await request(port, '/changing.txt', `If-None-Match: ${header(before, 'etag')}\r\n`);
    expect(after.status).toBe(200);
    expect(after.body.toString()).toBe('two!');
    expect(header(after, 'etag')).not.toBe(header(before, 'etag'));
    const since = await request(port, '/changing.txt', `If-Modified-Since: ${header(before, 'last-modified')}\r\n`);
    expect(since.status).toBe(200);
  });

  it('If-Match and If-Unmodified-Since → 412 when false', async () => {
    const port = await serveFolder();
    const first = await request(port, '/hello.txt');
    expect((await request(port, '/hello.txt', `If-Match: ${header(first, 'etag')}\r\n`)).status).toBe(412); // weak never matches strongly
    expect((await request(port, '/hello.txt', 'If-Match: *\r\n')).status).toBe(200);
    expect((await request(port, '/hello.txt', 'If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n')).status).toBe(412);
    expect((await request(port, '/hello.txt', `If-Unmodified-Since: ${header(first, 'last-modified')}\r\n`)).status).toBe(200);
  });
});

describe('ranges (RFC 9110 §14)', () => {
  it('one range → 206 with Content-Range and exactly those bytes', async () => {
    const port = await serveFolder();
    for (const [spec, start, end] of [
      ['0-9', 0, 9],
      ['990-', 990, 999],
      ['-10', 990, 999],
      ['500-5000', 500, 999],
      ['0-0', 0, 0],
    ] as const) {
      const response = await request(port, '/data.bin', `Range: bytes=${spec}\r\n`);
      expect(response.status, spec).toBe(206);
      expect(header(response, 'content-range')).toBe(`bytes ${start}-${end}/1000`);
      expect(header(response, 'content-length')).toBe(String(end - start + 1));
      expect(header(response, 'content-type')).toBe('application/octet-stream');
      expect(response.body.equals(BINARY.subarray(start, end + 1))).toBe(true);
    }
  });

  it('several ranges → 206 multipart/byteranges, parts in the order asked, Content-Length exact', async () => {
    const port = await serveFolder();
    const response = await request(port, '/data.bin', 'Range: bytes=0-1, 500-503, -2\r\n');
    expect(response.status).toBe(206);
    expect(header(response, 'content-range')).toBeUndefined();
    expect(Number(header(response, 'content-length'))).toBe(response.body.length);
    expect(byteranges(response)).toEqual([
      { type: 'application/octet-stream', range: 'bytes 0-1/1000', data: BINARY.subarray(0, 2) },
      { type: 'application/octet-stream', range: 'bytes 500-503/1000', data: BINARY.subarray(500, 504) },
      { type: 'application/octet-stream', range: 'bytes 998-999/1000', data: BINARY.subarray(998, 1000) },
    ]);
  });

  it('unsatisfiable → 416 with Content-Range: bytes */size', async () => {
    const port = await serveFolder();
    const response = await request(port, '/data.bin', 'Range: bytes=1000-\r\n');
    expect(response.status).toBe(416);
    expect(header(response, 'content-range')).toBe('bytes */1000');
  });

  it('invalid, other units, too many, overlapping beyond the size, two Range fields, HEAD: the whole file', async () => {
    const port = await serveFolder();
    const many = Array.from({ length: 17 }, (_, i) => `${i}-${i}`).join(',');
    for (const fields of ['Range: bytes=5-1\r\n', 'Range: items=0-1\r\n', `Range: bytes=${many}\r\n`, 'Range: bytes=0-,0-\r\n', 'Range: bytes=0-1\r\nRange: bytes=2-3\r\n']) {
      const response = await request(port, '/data.bin', fields);
      expect(response.status, fields).toBe(200);
      expect(response.body.equals(BINARY)).toBe(true);
    }
    const head = await request(port, '/data.bin', 'Range: bytes=0-9\r\n', 'HEAD');
    expect(head.status).toBe(200);
    expect(header(head, 'content-length')).toBe('1000');
    const fewer = await serveFolder({ maxRanges: 2 });
    expect((await request(fewer, '/data.bin', 'Range: bytes=0-1,2-3,4-5\r\n')).status).toBe(200);
    expect((await request(fewer, '/data.bin', 'Range: bytes=0-1,2-3\r\n')).status).toBe(206);
  });

  it('If-Range: the Last-Modified date → 206; another date or the weak ETag → 200 (RFC 9110 §13.1.5)', async () => {
    const port = await serveFolder();
    const first = await request(port, '/data.bin');
    const partial = await request(port, '/data.bin', `Range: bytes=0-3\r\nIf-Range: ${header(first, 'last-modified')}\r\n`);
    expect(partial.status).toBe(206);
    expect(partial.body.equals(BINARY.subarray(0, 4))).toBe(true);
    for (const ifRange of ['Sun, 06 Nov 1994 08:49:37 GMT', header(first, 'etag')!, header(first, 'etag')!.slice(2), 'nonsense']) {
      const whole = await request(port, '/data.bin', `Range: bytes=0-3\r\nIf-Range: ${ifRange}\r\n`);
      expect(whole.status, ifRange).toBe(200);
      expect(whole.body.length).toBe(1000);
    }
  });

  it('a precondition is decided before the range: 304 wins over Range', async () => {
    const port = await serveFolder();
    const etag = header(await request(port, '/data.bin'), 'etag')!;
    expect((await request(port, '/data.bin', `Range: bytes=0-3\r\nIf-None-Match: ${etag}\r\n`)).status).toBe(304);
  });
});

describe('streaming', () => {
  it('streams a large file with backpressure: little is written while the client does not read, then all of it, intact', async () => {
    const size = 32 * 1024 * 1024;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big.writeUInt32LE(i, i);
    writeFileSync(join(root, 'big.bin'), big);
    let written = 0;
    let writes = 0;
    const port = await serveFolder({}, (handler) => async (request, response) => {
      const write = response.write.bind(response);
      response.write = (chunk: string | Uint8Array): boolean => {
        written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
        writes++;
        return write(chunk);
      };
      await handler(request, response);
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => written > 0, 5_000, 'the first bytes');
    // Let the socket buffers fill; the server must stop reading the file once they are full.
    let previous = -1;
    while (previous !== written) {
      previous = written;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // About 4 MiB on Linux loopback: what the socket buffers hold.
    expect(written).toBeLessThan(size / 2);
    expect(writes).toBeGreaterThan(0);
    // Counted here, parsed once at the end (parsing at every read would cost O(n²)).
    let received = 0;
    const all = new Promise<void>((resolve) => {
      client.socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= size) resolve();
      });
    });
    client.socket.resume();
    await within(all, 20_000, 'the whole file');
    const [response] = await client.responses(1);
    expect(response!.body.length).toBe(size);
    expect(createHash('sha256').update(response!.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    expect(written).toBe(size);
    expect(writes).toBeGreaterThanOrEqual(size / (64 * 1024));
    rmSync(join(root, 'big.bin'));
  });
});

describe('a client that goes away', () => {
  it.skipIf(process.platform !== 'linux')('mid-download costs only its connection: the handler settles, the file is closed, the next client is served', async () => {
    const size = 8 * 1024 * 1024;
    writeFileSync(join(root, 'big2.bin'), Buffer.alloc(size, 7));
    const path = join(root, 'big2.bin');
    /** Whether this process has the file open (Linux: /proc/self/fd links to what is open). */
    const fileOpen = (): boolean =>
      readdirSync('/proc/self/fd').some((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false;
        }
      });
    let settled = 0;
    const port = await serveFolder({}, (handler) => async (request, response) => {
      try {
        await handler(request, response);
      } finally {
        settled++;
      }
    });
    const client = await RawClient.connect(port);
    client.write('GET /big2.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until(() => client.data().length > 100_000, 5_000, 'the first bytes');
    expect(fileOpen()).toBe(true);
    client.destroy();
    await waitFor(() => settled === 1, 10_000, 'the handler to settle');
    await waitFor(() => !fileOpen(), 5_000, 'the file to be closed');
    expect((await request(port, '/hello.txt')).body.toString()).toBe(TEXT);
    rmSync(join(root, 'big2.bin'));
  });
});

describe('sendFile', () => {
  it('answers with one file, its validators and ranges; 404 for a folder or nothing; 405 for POST', async () => {
    const { port } = await startServer({
      async handler(request, response) {
        if (request.path === '/report') return sendFile(request, response, join(root, 'hello.txt'), { contentType: 'text/x-report', cacheControl: 'max-age=60' });
        if (request.path === '/folder') return sendFile(request, response, join(root, 'docs'));
        if (request.path === '/link') return sendFile(request, response, join(root, 'docs', 'alias.txt'));
        return sendFile(request, response, join(root, 'nope.txt'));
      },
    });
    const report = await request(port, '/report');
    expect(report.body.toString()).toBe(TEXT);
    expect(header(report, 'content-type')).toBe('text/x-report');
    expect(header(report, 'cache-control')).toBe('max-age=60');
    const range = await request(port, '/report', 'Range: bytes=0-4\r\n');
    expect(range.status).toBe(206);
    expect(range.body.toString()).toBe('Hello');
    expect((await request(port, '/link')).body.toString()).toBe(TEXT);
    expect((await request(port, '/folder')).status).toBe(404);
    expect((await request(port, '/missing')).status).toBe(404);
    expect((await request(port, '/report', '', 'POST')).status).toBe(405);
  });
});
