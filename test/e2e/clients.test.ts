/**
 * Real HTTP clients against a real server: Node's fetch (undici), node:http's client with a
 * keep-alive agent, and curl when it is installed.
 */
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/http/options.js';
import { cleanup, sleep, startServer, within } from './support.js';

afterEach(cleanup);

interface Seen {
  method: string;
  target: string;
  path: string;
  query: Record<string, string[]>;
  version: string;
  clientPort: number;
  headers: [string, string][];
  body: string;
}

/** Describes each request as JSON and remembers it; `/stream` answers in timed pieces instead. */
function describingHandler(seen: Seen[]): Handler {
  return async (req, res) => {
    const body = await req.text();
    const record: Seen = {
      method: req.method,
      target: req.target,
      path: req.path,
      query: { ...req.query },
      version: req.version,
      clientPort: req.client.port,
      headers: req.headers.pairs(),
      body,
    };
    seen.push(record);
    if (req.path === '/fixed') {
      res.setHeader('Content-Type', 'text/plain');
      res.end('the same body for GET and HEAD');
      return;
    }
    if (req.path === '/stream') {
      res.setHeader('Content-Type', 'application/octet-stream');
      for (const piece of STREAM_PIECES) {
        res.write(piece);
        await sleep(5);
      }
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(record));
  };
}

/** Pieces of a streamed response, some binary, one empty. */
const STREAM_PIECES: Buffer[] = [
  Buffer.from('first piece;'),
  Buffer.alloc(0),
  Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]),
  Buffer.alloc(40_000, 0x5a),
  Buffer.from('0\r\n\r\n'), // looks like a last chunk; must arrive as data
  Buffer.from('last'),
];
const STREAM_BYTES = Buffer.concat(STREAM_PIECES);

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function headerOf(seen: Seen, name: string): string | undefined {
  return seen.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

describe('fetch (undici)', () => {
  let seen: Seen[];
  let base: string;
  beforeEach(async () => {
    seen = [];
    const { port } = await startServer({ handler: describingHandler(seen) });
    base = `http://127.0.0.1:${port}`;
  });

  it('GET: RFC 3986 §2.1 the path and query are decoded; the query keeps order and blanks', async () => {
    const response = await within(fetch(`${base}/a%20b/%C3%A9t%C3%A9?x=1&y=%C3%A9&x=2&z=&w+v=a+b%26c`), 5_000, 'fetch');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Seen;
    expect(body.method).toBe('GET');
    expect(body.target).toBe('/a%20b/%C3%A9t%C3%A9?x=1&y=%C3%A9&x=2&z=&w+v=a+b%26c');
    expect(body.path).toBe('/a b/été');
    expect(body.query).toEqual({ x: ['1', '2'], y: ['é'], z: [''], 'w v': ['a b&c'] });
    expect(Object.keys(body.query)).toEqual(['x', 'y', 'z', 'w v']);
    expect(body.version).toBe('1.1');
  });

  it('POST a JSON body; PUT a text body', async () => {
    const payload = { name: 'Seal', list: [1, 2, 3], nested: { ok: true }, text: 'ünïcødé' };
    const post = await within(
      fetch(`${base}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }),
      5_000,
      'fetch',
    );
    const postSeen = (await post.json()) as Seen;
    expect(JSON.parse(postSeen.body)).toEqual(payload);
    expect(headerOf(postSeen, 'content-length')).toBe(String(Buffer.byteLength(JSON.stringify(payload))));

    const put = await within(fetch(`${base}/put`, { method: 'PUT', body: 'replace me' }), 5_000, 'fetch');
    const putSeen = (await put.json()) as Seen;
    expect(putSeen.method).toBe('PUT');
    expect(putSeen.body).toBe('replace me');
  });

  it('HEAD gets Content-Length and no body (RFC 9110 §9.3.2)', async () => {
    const get = await within(fetch(`${base}/fixed`), 5_000, 'fetch');
    expect(get.headers.get('content-length')).toBe('30');
    expect(await get.text()).toBe('the same body for GET and HEAD');
    const head = await within(fetch(`${base}/fixed`, { method: 'HEAD' }), 5_000, 'fetch');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('30');
    expect(head.headers.get('content-type')).toBe('text/plain');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('streams a request body (ReadableStream, duplex: half) as chunked (RFC 9112 §7.1)', async () => {
    const pieces = ['alpha,', 'beta,', '', 'gamma ✓'];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const piece = pieces.shift();
        if (piece === undefined) return controller.close();
        await sleep(5);
        controller.enqueue(new TextEncoder().encode(piece));
      },
    });
    const init: RequestInit & { duplex: 'half' } = { method: 'POST', body: stream, duplex: 'half' };
    const response = await within(fetch(`${base}/upload`, init), 5_000, 'fetch');
    const body = (await response.json()) as Seen;
    expect(body.body).toBe('alpha,beta,gamma ✓');
    expect(headerOf(body, 'transfer-encoding')).toBe('chunked');
    expect(headerOf(body, 'content-length')).toBeUndefined();
  });

  it('receives a streamed response (chunked), byte for byte', async () => {
    const response = await within(fetch(`${base}/stream`), 5_000, 'fetch');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    const bytes = Buffer.from(await within(response.arrayBuffer(), 5_000, 'body'));
    expect(bytes.length).toBe(STREAM_BYTES.length);
    expect(sha256(bytes)).toBe(sha256(STREAM_BYTES));
  });

  it('RFC 9112 §9.3 reuses one connection for sequential requests', async () => {
    for (let i = 0; i < 4; i++) {
      const response = await within(fetch(`${base}/n${i}`), 5_000, 'fetch');
      await response.arrayBuffer();
      // undici marks its connection free a little after the body is read; a request sent at
      // once would open a second connection (both then kept alive and reused).
      await sleep(20);
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((s) => s.clientPort)).size).toBe(1);
  });
});

describe('node:http client with a keep-alive agent', () => {
  let seen: Seen[];
  let port: number;
  let agent: http.Agent;
  beforeEach(async () => {
    seen = [];
    ({ port } = await startServer({ handler: describingHandler(seen) }));
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => agent.destroy());

  interface Result {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }

  function request(method: string, path: string, body?: (req: http.ClientRequest) => Promise<void> | void): Promise<Result> {
    return within(
      new Promise<Result>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        if (body === undefined) req.end();
        else void Promise.resolve(body(req)).then(() => req.end(), reject);
      }),
      5_000,
      `${method} ${path}`,
    );
  }

  it('GET, POST, HEAD and PUT over one kept-alive connection', async () => {
    const getResult = await request('GET', '/g?q=%2Fx');
    expect(getResult.status).toBe(200);
    expect((JSON.parse(getResult.body.toString()) as Seen).query).toEqual({ q: ['/x'] });

    const postResult = await request('POST', '/p', (req) => {
      req.setHeader('Content-Type', 'application/json');
      req.setHeader('Content-Length', 9);
      req.write('{"a":[1]}');
    });
    expect((JSON.parse(postResult.body.toString()) as Seen).body).toBe('{"a":[1]}');

    const headResult = await request('HEAD', '/fixed');
    expect(headResult.status).toBe(200);
    expect(headResult.headers['content-length']).toBe('30');
    expect(headResult.body.length).toBe(0);

    // A body written in pieces without a length goes chunked.
    const putResult = await request('PUT', '/u', async (req) => {
      req.write('one ');
      await sleep(5);
      req.write('two');
    });
    const putSeen = JSON.parse(putResult.body.toString()) as Seen;
    expect(putSeen.body).toBe('one two');
    expect(headerOf(putSeen, 'transfer-encoding')).toBe('chunked');

    expect(seen.map((s) => s.method)).toEqual(['GET', 'POST', 'HEAD', 'PUT']);
    // RFC 9112 §9.3: one persistent connection served them all.
    expect(new Set(seen.map((s) => s.clientPort)).size).toBe(1);
  });

  it('receives a streamed response byte for byte', async () => {
    const result = await request('GET', '/stream');
    expect(result.headers['transfer-encoding']).toBe('chunked');
    expect(sha256(result.body)).toBe(sha256(STREAM_BYTES));
    // And the connection is still good afterwards.
    await request('GET', '/after');
    expect(new Set(seen.map((s) => s.clientPort)).size).toBe(1);
  });
});

const curlPath = await new Promise<string | null>((resolve) => {
  execFile('which', ['curl'], (error, stdout) => resolve(error === null ? stdout.trim() || null : null));
});

describe('curl', () => {
  interface CurlResult {
    stdout: string;
    stderr: string;
  }
  function curl(args: string[]): Promise<CurlResult> {
    return within(
      new Promise<CurlResult>((resolve, reject) => {
        const command = ['--silent', '--show-error', '--max-time', '5', ...args];
        execFile(curlPath ?? 'curl', command, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
          if (error !== null) reject(new Error(`curl failed: ${error.message}\n${stderr}`));
          else resolve({ stdout, stderr });
        });
      }),
      8_000,
      'curl',
    );
  }

  it.skipIf(curlPath === null)('GET and POST -d', async () => {
    const seen: Seen[] = [];
    const { port } = await startServer({ handler: describingHandler(seen) });
    const getResult = JSON.parse((await curl([`http://127.0.0.1:${port}/hello?who=curl`])).stdout) as Seen;
    expect(getResult.method).toBe('GET');
    expect(getResult.query).toEqual({ who: ['curl'] });
    expect(headerOf(getResult, 'user-agent')).toMatch(/^curl\//);

    const postResult = JSON.parse((await curl(['-d', 'user=James+%26+Nancy&x=1', `http://127.0.0.1:${port}/form`])).stdout) as Seen;
    expect(postResult.method).toBe('POST');
    expect(postResult.body).toBe('user=James+%26+Nancy&x=1');
    expect(headerOf(postResult, 'content-type')).toBe('application/x-www-form-urlencoded');
  });

  it.skipIf(curlPath === null)('a 2 MiB upload: curl sends Expect: 100-continue and gets the 100 at once (RFC 9110 §10.1.1)', async () => {
    const seen: Seen[] = [];
    const { port } = await startServer({ handler: describingHandler(seen) });
    const dir = await mkdtemp(join(tmpdir(), 'seal-curl-'));
    try {
      const upload = Buffer.alloc(2 * 1024 * 1024, 0x75);
      await writeFile(join(dir, 'upload.bin'), upload);
      const started = Date.now();
      // --expect100-timeout 3: if the 100 never came, curl would wait 3 s before sending the body.
      const { stderr } = await curl([
        '--http1.1',
        '-v',
        '--expect100-timeout',
        '3',
        '-H',
        'Expect: 100-continue',
        '--data-binary',
        `@${join(dir, 'upload.bin')}`,
        `http://127.0.0.1:${port}/upload`,
      ]);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(stderr).toContain('HTTP/1.1 100 Continue');
      expect(headerOf(seen[0]!, 'expect')).toBe('100-continue');
      expect(seen[0]!.body.length).toBe(upload.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(curlPath === null)('--http1.1 reuses one connection for two URLs (RFC 9112 §9.3)', async () => {
    const seen: Seen[] = [];
    const { port } = await startServer({ handler: describingHandler(seen) });
    const { stdout, stderr } = await curl(['--http1.1', '-v', `http://127.0.0.1:${port}/one`, `http://127.0.0.1:${port}/two`]);
    expect(stderr).toMatch(/Re-using existing connection/i);
    expect(seen.map((s) => s.path)).toEqual(['/one', '/two']);
    expect(seen[0]!.clientPort).toBe(seen[1]!.clientPort);
    expect(stdout).toContain('"/one"');
    expect(stdout).toContain('"/two"');
  });
});
