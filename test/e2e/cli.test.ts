/**
 * The `seal` command end to end (CONTRACTS.md §1 and §2: hello, echo, demo, tcp-echo), word for
 * word, against real `node dist/cli.js serve` processes on loopback. Needs `npm run build` first
 * (`npm test` does it).
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  exchange,
  killAllSeals,
  parseRawResponse,
  receiveAll,
  receiveUntil,
  runSeal,
  sleep,
  startSeal,
  within,
  type RawResponse,
} from '../support/seal-process.js';

afterEach(killAllSeals);

const FORM_BODY = 'user=James+%26+Nancy+Kirk&user2=&pets=dog&pets=cat';
const FORM_FIELDS = { user: ['James & Nancy Kirk'], user2: [''], pets: ['dog', 'cat'] };

/** The echo app's JSON, as CONTRACTS.md §2 lists it. */
interface EchoJson {
  method: string;
  target: string;
  path: string;
  query: Record<string, string[]>;
  version: string;
  headers: [string, string][];
  body: string;
  form: Record<string, string[]> | null;
  files: unknown[];
  tls: unknown;
  client: { address: string; port: number };
  server: { address: string; port: number };
}

const ECHO_KEYS = ['method', 'target', 'path', 'query', 'version', 'headers', 'body', 'form', 'files', 'tls', 'client', 'server'];

function b64(text: string): string {
  return Buffer.from(text, 'latin1').toString('base64');
}

function echoJson(response: RawResponse): EchoJson {
  expect(response.statusLine).toBe('HTTP/1.1 200 OK');
  expect(response.header('content-type')).toBe('application/json');
  expect(response.header('content-length')).toBe(String(response.body.length));
  const json = JSON.parse(response.body.toString('utf8')) as EchoJson;
  for (const key of ECHO_KEYS) expect(json, `key ${key}`).toHaveProperty(key);
  return json;
}

/** Resolves true once a connection attempt to `port` is refused (the listener is closed). */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refused = await within(
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
      }),
      1_000,
      'a connection attempt',
    );
    if (refused) return true;
    await sleep(20);
  }
  return false;
}

function fetchWithTimeout(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
}

/** The `<tag ...>` start tags of `html` with their attributes (a loose reading, enough for our pages). */
function tags(html: string, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const match of html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))) {
    const attrs: Record<string, string> = {};
    for (const attr of (match[1] ?? '').matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      const value = attr[2] ?? attr[3] ?? attr[4] ?? '';
      attrs[attr[1]!.toLowerCase()] = value.replace(/&amp;/g, '&');
    }
    out.push(attrs);
  }
  return out;
}

// ---- §1 the command ----------------------------------------------------------------------

describe('seal serve: listening, signals', () => {
  it('prints `listening on http://127.0.0.1:N` exactly once, with the real port for --port 0', async () => {
    const seal = await startSeal(['--app', 'hello']);
    expect(seal.port).toBeGreaterThan(0);
    expect(seal.port).toBeLessThan(65536);
    expect(seal.stdout()).toBe(`listening on http://127.0.0.1:${seal.port}\n`);
    const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/`);
    expect(await response.text()).toBe('Hello, World!');
    expect(await seal.stop('SIGTERM')).toBe(0);
    expect(seal.stdout()).toBe(`listening on http://127.0.0.1:${seal.port}\n`);
    expect(seal.stderr()).toBe('');
  });

  it('prints the line once also without --quiet (demo, the default app)', async () => {
    const seal = await startSeal([], { quiet: false });
    await sleep(100);
    expect(seal.stdout()).toBe(`listening on http://127.0.0.1:${seal.port}\n`);
    expect(await seal.stop('SIGINT')).toBe(0);
    expect(seal.stdout().match(/listening on/g)).toHaveLength(1);
  });

  it('exits 0 on SIGINT', async () => {
    const seal = await startSeal(['--app', 'echo']);
    expect(await seal.stop('SIGINT')).toBe(0);
  });

  it('exits 0 on SIGTERM', async () => {
    const seal = await startSeal(['--app', 'echo']);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('a signal sent the moment `listening on` is read is handled (exit 0, not killed by it)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT'] as const) {
      const seal = await startSeal(['--app', 'hello']);
      expect(await seal.stop(signal), signal).toBe(0);
    }
  });

  it('exits 0 on SIGTERM for tcp-echo too', async () => {
    const seal = await startSeal(['--app', 'tcp-echo']);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('on SIGTERM finishes a request in flight, refuses new connections, then exits 0', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const socket = await connect(seal.port);
    const clientPort = socket.localPort;
    const received = receiveAll(socket, 5_000);
    socket.write('POST /slow?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello');
    await sleep(300); // the head and half the body reach the server, which now waits for the rest
    seal.child.kill('SIGTERM');
    expect(await refusedWithin(seal.port, 3_000)).toBe(true); // the signal was handled: no new connections
    expect(seal.child.exitCode).toBeNull(); // ...but the request in flight keeps it running
    socket.write('world');
    const { data } = await received;
    const json = echoJson(parseRawResponse(data));
    expect(json.method).toBe('POST');
    expect(json.target).toBe('/slow?x=1');
    expect(json.body).toBe(b64('helloworld'));
    expect(json.client.port).toBe(clientPort);
    const status = await within(seal.exited, 5_000, 'seal to exit after the last response');
    expect(status).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM closes idle keep-alive connections at once and exits 0', async () => {
    const seal = await startSeal(['--app', 'hello']);
    const socket = await connect(seal.port);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const first = await receiveUntil(socket, (data) => data.toString('latin1').endsWith('\r\n\r\nHello, World!'), 'the response');
    expect(parseRawResponse(first).statusLine).toBe('HTTP/1.1 200 OK');
    const closed = receiveAll(socket, 2_500); // well before the 5 s keep-alive timeout
    const started = Date.now();
    expect(await seal.stop('SIGTERM', 2_500)).toBe(0);
    const rest = await closed;
    expect(rest.data.length).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe('seal serve behind a proxy: --trust-proxy and --proxy-protocol', () => {
  const echoOf = (data: Buffer): EchoJson => JSON.parse(parseRawResponse(data).body.toString()) as EchoJson;

  it('--trust-proxy: the echo shows the client a trusted proxy forwards; without it, the peer', async () => {
    const request = 'GET /who HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.7, 127.0.0.1\r\nConnection: close\r\n\r\n';
    const trusting = await startSeal(['--app', 'echo', '--trust-proxy', 'loopback,10.0.0.0/8']);
    expect(echoOf((await exchange(trusting.port, request)).data).client).toEqual({ address: '203.0.113.7', port: 0 });
    const plain = await startSeal(['--app', 'echo']);
    const { data, clientPort } = await exchange(plain.port, request);
    expect(echoOf(data).client).toEqual({ address: '127.0.0.1', port: clientPort });
  });

  it('--proxy-protocol: the PROXY header names the client and server, also for tcp-echo; a connection without one is closed unanswered', async () => {
    const seal = await startSeal(['--app', 'echo', '--proxy-protocol']);
    const header = 'PROXY TCP4 198.51.100.4 192.0.2.1 40000 443\r\n';
    const echo = echoOf((await exchange(seal.port, `${header}GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`)).data);
    expect(echo.client).toEqual({ address: '198.51.100.4', port: 40000 });
    expect(echo.server).toEqual({ address: '192.0.2.1', port: 443 });
    expect((await exchange(seal.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).data.length).toBe(0);

    const tcp = await startSeal(['--app', 'tcp-echo', '--proxy-protocol'], { quiet: false });
    await exchange(tcp.port, `${header}GET / HTTP/1.0\r\n\r\n`);
    await tcp.waitForStdout((out) => out.includes('END REQUEST'), 'the tcp-echo report');
    expect(tcp.stdout()).toContain("Client address: ('198.51.100.4', 40000)");
  });
});

describe('seal serve: bad options', () => {
  const cases: [string, string[]][] = [
    ['--port x', ['serve', '--port', 'x']],
    ['--app nope', ['serve', '--port', '0', '--app', 'nope']],
    ['--frob', ['serve', '--port', '0', '--frob']],
    ['--port with no value', ['serve', '--port']],
    ['--port none alone', ['serve', '--port', 'none']],
    ['--cert without --key', ['serve', '--port', '0', '--cert', 'cert.pem']],
    ['--key without --cert', ['serve', '--port', '0', '--key', 'key.pem']],
    ['--port 70000', ['serve', '--port', '70000']],
    ['--max-body x', ['serve', '--port', '0', '--max-body', 'x']],
    ['--trust-proxy with a bad address', ['serve', '--port', '0', '--trust-proxy', '127.0.0.1,not-an-address']],
    ['--proxy-protocol=yes', ['serve', '--port', '0', '--proxy-protocol=yes']],
    ['no command', []],
    ['an unknown command', ['frob', '--port', '0']],
  ];
  for (const [name, args] of cases) {
    it(`${name}: one-line error starting with "seal:" and a usage hint on stderr, exit 2, nothing on stdout`, async () => {
      const run = await runSeal(args);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
      const [first = '', ...rest] = run.stderr.split('\n');
      expect(first).toMatch(/^seal: \S/);
      expect(rest.join('\n')).toMatch(/usage: seal serve/);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

// ---- §2 hello ----------------------------------------------------------------------------

describe('hello', () => {
  it('answers every method and target with 200 and exactly `Hello, World!` (raw bytes)', async () => {
    const seal = await startSeal(['--app', 'hello']);
    const requests = [
      'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'GET /foo/bar?hi=john%20doe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'POST /submit HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
      'PUT /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'DELETE /y/z HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'PATCH /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'BREW /pot HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'GET http://localhost/absolute HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      'GET /old HTTP/1.0\r\n\r\n',
    ];
    for (const request of requests) {
      const { data } = await exchange(seal.port, request);
      const response = parseRawResponse(data);
      const version = request.includes('HTTP/1.0') ? 'HTTP/1.[01]' : 'HTTP/1.1';
      expect(response.statusLine, request).toMatch(new RegExp(`^${version} 200 OK$`));
      expect(response.header('Content-Type'), request).toBe('text/plain;charset=utf-8');
      expect(response.header('Content-Length'), request).toBe('13');
      expect(response.fields.filter(([name]) => name.toLowerCase() === 'content-length'), request).toHaveLength(1);
      expect(response.body.equals(Buffer.from('Hello, World!', 'latin1')), request).toBe(true);
    }
  });

  it('answers HEAD with 200, the same header fields and no body', async () => {
    const seal = await startSeal(['--app', 'hello']);
    const { data } = await exchange(seal.port, 'HEAD /anything HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const response = parseRawResponse(data);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.header('Content-Type')).toBe('text/plain;charset=utf-8');
    expect(response.header('Content-Length')).toBe('13');
    expect(response.body.length).toBe(0);
  });

  it('answers keep-alive requests one after another on one connection', async () => {
    const seal = await startSeal(['--app', 'hello']);
    const socket = await connect(seal.port);
    const one = 'HTTP/1.1 200 OK';
    socket.write('GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nPOST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const data = await receiveUntil(socket, (bytes) => bytes.toString('latin1').split('Hello, World!').length === 4, 'three responses');
    const text = data.toString('latin1');
    expect(text.split(one)).toHaveLength(4);
    expect(text.endsWith('\r\n\r\nHello, World!')).toBe(true);
  });

  it('answers fetch() with 200, text/plain;charset=utf-8, 13 bytes', async () => {
    const seal = await startSeal(['--app', 'hello']);
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const init: RequestInit = { method };
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') init.body = 'some body';
      const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/some/where?q=${method}`, init);
      expect(response.status, method).toBe(200);
      expect(response.headers.get('content-type'), method).toBe('text/plain;charset=utf-8');
      expect(response.headers.get('content-length'), method).toBe('13');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.toString('latin1'), method).toBe('Hello, World!');
    }
  });
});

// ---- §2 echo -----------------------------------------------------------------------------

describe('echo', () => {
  it('GET with a query: target, decoded path, query lists, version, headers, empty body, form null, files []', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data, clientPort, clientAddress } = await exchange(
      seal.port,
      `GET /foo/bar?hi=john%20doe HTTP/1.1\r\nHost: localhost:${seal.port}\r\nConnection: close\r\n\r\n`,
    );
    const json = echoJson(parseRawResponse(data));
    expect(json).toEqual({
      method: 'GET',
      target: '/foo/bar?hi=john%20doe',
      path: '/foo/bar',
      query: { hi: ['john doe'] },
      version: '1.1',
      headers: [
        ['Host', `localhost:${seal.port}`],
        ['Connection', 'close'],
      ],
      body: '',
      form: null,
      files: [],
      tls: null,
      client: { address: clientAddress, port: clientPort },
      server: { address: '127.0.0.1', port: seal.port },
    });
    expect(clientAddress).toBe('127.0.0.1');
  });

  it('decodes the path and keeps blank and repeated query values in order', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data } = await exchange(
      seal.port,
      'GET /a%20b/c%2Fd?x=1&empty=&x=2&plus=a+b&flag HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    const json = echoJson(parseRawResponse(data));
    expect(json.target).toBe('/a%20b/c%2Fd?x=1&empty=&x=2&plus=a+b&flag');
    expect(json.path).toBe('/a b/c/d');
    expect(json.query).toEqual({ x: ['1', '2'], empty: [''], plus: ['a b'], flag: [''] });
    expect(Object.keys(json.query)).toEqual(['x', 'empty', 'plus', 'flag']);
  });

  it('POST urlencoded: form exactly as in the contract, body base64 of the bytes sent', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data } = await exchange(
      seal.port,
      'POST /foo/bar?hi=john%20doe HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: ${FORM_BODY.length}\r\nConnection: close\r\n\r\n${FORM_BODY}`,
    );
    const json = echoJson(parseRawResponse(data));
    expect(json.method).toBe('POST');
    expect(json.target).toBe('/foo/bar?hi=john%20doe');
    expect(json.path).toBe('/foo/bar');
    expect(json.query).toEqual({ hi: ['john doe'] });
    expect(json.form).toEqual(FORM_FIELDS);
    expect(Object.keys(json.form ?? {})).toEqual(['user', 'user2', 'pets']);
    expect(json.body).toBe(b64(FORM_BODY));
    expect(json.files).toEqual([]);
    expect(json.headers).toEqual([
      ['Host', 'localhost:8000'],
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['Content-Length', String(FORM_BODY.length)],
      ['Connection', 'close'],
    ]);
  });

  it('POST urlencoded with a charset parameter and from fetch()', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/foo/bar?hi=john%20doe`, {
      method: 'POST',
      body: new URLSearchParams([
        ['user', 'James & Nancy Kirk'],
        ['user2', ''],
        ['pets', 'dog'],
        ['pets', 'cat'],
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const json = (await response.json()) as EchoJson;
    expect(json.form).toEqual(FORM_FIELDS);
    expect(json.body).toBe(b64(FORM_BODY));
    expect(json.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1]).toBe('application/x-www-form-urlencoded;charset=UTF-8');
  });

  it('POST urlencoded with raw UTF-8 bytes: fields decoded as UTF-8, as URLSearchParams does', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const body = Buffer.from('name=%C3%A9t%C3%A9&raw=\u00e9t\u00e9+\u2713&mixed=%E2%9C%93\u00e9', 'utf8');
    const head = `POST /utf8 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { data } = await exchange(seal.port, Buffer.concat([Buffer.from(head, 'latin1'), body]));
    const json = echoJson(parseRawResponse(data));
    const params = new URLSearchParams(body.toString('utf8'));
    expect(json.form).toEqual({ name: ['\u00e9t\u00e9'], raw: ['\u00e9t\u00e9 \u2713'], mixed: ['\u2713\u00e9'] });
    expect(json.form).toEqual(Object.fromEntries([...new Set(params.keys())].map((key) => [key, params.getAll(key)])));
    expect(json.body).toBe(body.toString('base64'));
  });

  it('Expect: 100-continue (as curl sends for larger bodies): 100 Continue, then the echo', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const socket = await connect(seal.port);
    socket.write('PUT /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    const interim = await receiveUntil(socket, (bytes) => bytes.includes('\r\n\r\n'), '100 Continue');
    expect(interim.toString('latin1')).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    const rest = receiveAll(socket);
    socket.write('data');
    const final = (await rest).data;
    const tail = final.subarray(final.indexOf('HTTP/1.1 200'));
    const json = echoJson(parseRawResponse(tail));
    expect(json.body).toBe(b64('data'));
  });

  it('multipart/form-data (fetch + FormData): form holds the non-file fields, files the file parts with size and sha256', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const fileBytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
    const data = new FormData();
    data.append('user', 'James & Nancy Kirk');
    data.append('user2', '');
    data.append('pets', 'dog');
    data.append('pets', 'cat');
    data.append('myfile', new Blob([fileBytes], { type: 'application/octet-stream' }), 'text1');
    const response = await fetch(`http://127.0.0.1:${seal.port}/foo/bar?hi=john%20doe`, { method: 'POST', body: data });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { form: unknown; files: unknown; query: unknown };
    expect(json.form).toEqual({ user: ['James & Nancy Kirk'], user2: [''], pets: ['dog', 'cat'] });
    expect(json.files).toEqual([
      { field: 'myfile', filename: 'text1', contentType: 'application/octet-stream', size: 5000, sha256: createHash('sha256').update(fileBytes).digest('hex') },
    ]);
    expect(json.query).toEqual({ hi: ['john doe'] });
  });

  it('a malformed multipart body (no closing delimiter) gets 400, not a shorter form', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const body = '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue';
    const { data } = await exchange(
      seal.port,
      `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    const response = parseRawResponse(data);
    expect(response.statusLine).toMatch(/^HTTP\/1\.1 400 /);
    expect(response.body.toString('latin1')).toContain('UNEXPECTED_END');
  });

  it('headers: every field in order, names in the case received, values without surrounding whitespace', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data } = await exchange(
      seal.port,
      'GET / HTTP/1.1\r\n' +
        'hOsT:   localhost  \r\n' +
        'X-MiXeD-CaSe:\t value with  inner  spaces \t \r\n' +
        'x-dup: one\r\n' +
        'X-Empty:   \r\n' +
        'X-DUP:two\r\n' +
        'user-AGENT: raw/1.0\r\n' +
        'Connection: close\r\n\r\n',
    );
    const json = echoJson(parseRawResponse(data));
    expect(json.headers).toEqual([
      ['hOsT', 'localhost'],
      ['X-MiXeD-CaSe', 'value with  inner  spaces'],
      ['x-dup', 'one'],
      ['X-Empty', ''],
      ['X-DUP', 'two'],
      ['user-AGENT', 'raw/1.0'],
      ['Connection', 'close'],
    ]);
  });

  it('body: base64 after transfer decoding of a chunked body', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data } = await exchange(
      seal.port,
      'POST /chunked HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n1;ext=1\r\n \r\na\r\n0123456789\r\n0\r\n\r\n',
    );
    const json = echoJson(parseRawResponse(data));
    expect(json.body).toBe(b64('hello 0123456789'));
    expect(json.form).toBeNull();
    expect(json.files).toEqual([]);
  });

  it('body: every byte value survives base64', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    const head = Buffer.from(`PUT /bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 256\r\nConnection: close\r\n\r\n`, 'latin1');
    const { data } = await exchange(seal.port, Buffer.concat([head, bytes]));
    const json = echoJson(parseRawResponse(data));
    expect(json.method).toBe('PUT');
    expect(json.body).toBe(bytes.toString('base64'));
    expect(createHash('sha256').update(Buffer.from(json.body, 'base64')).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('a non-form body: form null, files []', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const body = '{"user":"James"}';
    const { data } = await exchange(
      seal.port,
      `POST /api HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    const json = echoJson(parseRawResponse(data));
    expect(json.body).toBe(b64(body));
    expect(json.form).toBeNull();
    expect(json.files).toEqual([]);
  });

  it('version "1.0" for an HTTP/1.0 request', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const { data } = await exchange(seal.port, 'GET /old?a=b HTTP/1.0\r\nUser-Agent: old\r\n\r\n');
    const response = parseRawResponse(data);
    expect(response.statusLine).toMatch(/^HTTP\/1\.[01] 200 OK$/);
    expect(response.header('content-type')).toBe('application/json');
    const json = JSON.parse(response.body.toString('utf8')) as EchoJson;
    expect(json.version).toBe('1.0');
    expect(json.method).toBe('GET');
    expect(json.query).toEqual({ a: ['b'] });
    expect(json.headers).toEqual([['User-Agent', 'old']]);
    expect(json.tls).toBeNull();
  });

  it('client and server addresses and ports match the socket', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const socket = await connect(seal.port);
    const local = { address: socket.localAddress, port: socket.localPort };
    const remote = { address: socket.remoteAddress, port: socket.remotePort };
    const received = receiveAll(socket);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const json = echoJson(parseRawResponse((await received).data));
    expect(json.client).toEqual(local);
    expect(json.server).toEqual(remote);
    expect(json.server).toEqual({ address: '127.0.0.1', port: seal.port });
    expect(json.tls).toBeNull();
  });

  it('any method and target gets 200', async () => {
    const seal = await startSeal(['--app', 'echo']);
    for (const [method, target] of [
      ['DELETE', '/x'],
      ['OPTIONS', '*'],
      ['PATCH', '/p?q'],
      ['BREW', '/pot'],
    ] as const) {
      const { data } = await exchange(seal.port, `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      const json = echoJson(parseRawResponse(data));
      expect(json.method).toBe(method);
      expect(json.target).toBe(target);
    }
  });

  it('HEAD gets the same status and header fields, and no body', async () => {
    const seal = await startSeal(['--app', 'echo']);
    const get = parseRawResponse((await exchange(seal.port, 'GET /h?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).data);
    const head = parseRawResponse((await exchange(seal.port, 'HEAD /h?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).data);
    expect(head.statusLine).toBe(get.statusLine);
    expect(head.fields.map(([name]) => name)).toEqual(get.fields.map(([name]) => name));
    expect(head.header('content-type')).toBe('application/json');
    expect(Number(head.header('content-length'))).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
  });

  it('--max-body 100: 413 for a 200-byte body, 200 for a 100-byte one', async () => {
    const seal = await startSeal(['--app', 'echo', '--max-body', '100']);
    const big = 'x'.repeat(200);
    const tooLarge = parseRawResponse(
      (await exchange(seal.port, `POST /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200\r\nConnection: close\r\n\r\n${big}`)).data,
    );
    expect(tooLarge.statusLine).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = parseRawResponse(
      (
        await exchange(
          seal.port,
          `POST /big HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nc8\r\n${big}\r\n0\r\n\r\n`,
        )
      ).data,
    );
    expect(chunked.statusLine).toMatch(/^HTTP\/1\.1 413 /);
    const fits = 'y'.repeat(100);
    const ok = echoJson(
      parseRawResponse((await exchange(seal.port, `POST /ok HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\nConnection: close\r\n\r\n${fits}`)).data),
    );
    expect(ok.body).toBe(b64(fits));
  });
});

// ---- §2 demo -----------------------------------------------------------------------------

function reportLines(port: number, clientPort: number, method: string, target: string, version: string, headers: string[], form: string[]): string {
  return [
    `Client address: ('127.0.0.1', ${clientPort})`,
    `Server address: ('127.0.0.1', ${port})`,
    'Server name: localhost',
    `requestline: ${method} ${target} ${version}`,
    `command: ${method}`,
    `path: ${target}`,
    `request_version: ${version}`,
    'Headers:',
    ...headers,
    'Form:',
    ...form,
  ].join('\n');
}

describe('demo', () => {
  it('/ is an HTML page saying Hello, World! with links to /form.html and /upload.html', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await response.text();
    expect(html).toContain('Hello, World!');
    const links = tags(html, 'a').map((a) => a.href);
    expect(links).toContain('/form.html');
    expect(links).toContain('/upload.html');
  });

  it('/form.html posts urlencoded to /foo/bar?hi=john%20doe with user, user2, vote, pets, comments', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/form.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await response.text();
    const forms = tags(html, 'form');
    expect(forms).toHaveLength(1);
    const form = forms[0]!;
    expect(form.method?.toLowerCase()).toBe('post');
    expect(form.action).toBe('/foo/bar?hi=john%20doe');
    expect(form.enctype ?? 'application/x-www-form-urlencoded').toBe('application/x-www-form-urlencoded');
    const inputs = tags(html, 'input');
    const byName = (name: string): Record<string, string>[] => inputs.filter((input) => input.name === name);
    expect(byName('user').map((input) => input.type ?? 'text')).toEqual(['text']);
    expect(byName('user2').map((input) => input.type ?? 'text')).toEqual(['text']);
    expect(byName('vote').map((input) => [input.type, input.value])).toEqual([
      ['radio', 'Y'],
      ['radio', 'N'],
    ]);
    expect(byName('pets').map((input) => [input.type, input.value])).toEqual([
      ['checkbox', 'dog'],
      ['checkbox', 'cat'],
      ['checkbox', 'fish'],
    ]);
    expect(tags(html, 'textarea').map((textarea) => textarea.name)).toEqual(['comments']);
  });

  it('/upload.html posts multipart/form-data to /foo/bar with a file field myfile', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const response = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/upload.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await response.text();
    const forms = tags(html, 'form');
    expect(forms).toHaveLength(1);
    expect(forms[0]!.method?.toLowerCase()).toBe('post');
    expect(forms[0]!.action).toBe('/foo/bar');
    expect(forms[0]!.enctype).toBe('multipart/form-data');
    expect(tags(html, 'input').filter((input) => input.type === 'file').map((input) => input.name)).toEqual(['myfile']);
  });

  it('GET of any other target: the text/plain report with the query fields, also on stdout', async () => {
    const seal = await startSeal(['--app', 'demo'], { quiet: false });
    const target = '/foo/bar?hi=john%20doe&pets=dog&pets=cat&empty=';
    const { data, clientPort } = await exchange(
      seal.port,
      `GET ${target} HTTP/1.1\r\nHost: localhost:${seal.port}\r\nUser-Agent: Test/1.0\r\nX-Quote: it's\r\nX-Both: it's "q"\r\nX-Slash: a\\b\r\nX-Tab: a\tb\r\nConnection: close\r\n\r\n`,
    );
    const response = parseRawResponse(data);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.header('content-type')).toMatch(/^text\/plain\b/);
    const expected = reportLines(
      seal.port,
      clientPort,
      'GET',
      target,
      'HTTP/1.1',
      [
        `  host: 'localhost:${seal.port}'`,
        "  user-agent: 'Test/1.0'",
        `  x-quote: "it's"`,
        `  x-both: 'it\\'s "q"'`,
        "  x-slash: 'a\\\\b'",
        "  x-tab: 'a\\tb'",
        "  connection: 'close'",
      ],
      ["  hi ['john doe']", "  pets ['dog', 'cat']", "  empty ['']"],
    );
    const body = response.body.toString('utf8');
    expect(body.replace(/\n$/, '')).toBe(expected);
    const stdout = await seal.waitForStdout((text) => text.includes(expected), 'the report on stdout');
    expect(stdout.startsWith(`listening on http://127.0.0.1:${seal.port}\n`)).toBe(true);
    expect(stdout.split(expected)).toHaveLength(2); // printed once
  });

  it('POST urlencoded: the report lists the body fields, not the query', async () => {
    const seal = await startSeal(['--app', 'demo'], { quiet: false });
    const target = '/foo/bar?hi=john%20doe';
    const { data, clientPort } = await exchange(
      seal.port,
      `POST ${target} HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${FORM_BODY.length}\r\nConnection: close\r\n\r\n${FORM_BODY}`,
    );
    const response = parseRawResponse(data);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.header('content-type')).toMatch(/^text\/plain\b/);
    const expected = reportLines(
      seal.port,
      clientPort,
      'POST',
      target,
      'HTTP/1.1',
      [
        "  host: 'localhost:8000'",
        "  content-type: 'application/x-www-form-urlencoded'",
        `  content-length: '${FORM_BODY.length}'`,
        "  connection: 'close'",
      ],
      ["  user ['James & Nancy Kirk']", "  user2 ['']", "  pets ['dog', 'cat']"],
    );
    expect(response.body.toString('utf8').replace(/\n$/, '')).toBe(expected);
    await seal.waitForStdout((text) => text.includes(expected), 'the report on stdout');
  });

  it('POST with raw UTF-8 in an urlencoded body: the report shows the decoded text', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const body = Buffer.from('user=Jos\u00e9&pets=%F0%9F%90%B1', 'utf8');
    const { data } = await exchange(
      seal.port,
      Buffer.concat([
        Buffer.from(`POST /u HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1'),
        body,
      ]),
    );
    const text = parseRawResponse(data).body.toString('utf8');
    expect(text).toMatch(/\nForm:\n  user \['Jos\u00e9'\]\n  pets \['\u{1F431}'\]\n?$/u);
  });

  it('--max-body 100: a POST with a 200-byte body gets 413', async () => {
    const seal = await startSeal(['--app', 'demo', '--max-body', '100']);
    const big = 'a=' + 'x'.repeat(198);
    const { data } = await exchange(
      seal.port,
      `POST /foo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\nConnection: close\r\n\r\n${big}`,
    );
    expect(parseRawResponse(data).statusLine).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('POST multipart/form-data: the report lists the fields, a small text file as its text, else its name and size', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const data = new FormData();
    data.append('user', 'James & Nancy Kirk');
    data.append('notes', new Blob(['hello file\nline 2\n'], { type: 'text/plain' }), 'notes.txt');
    data.append('photo', new Blob([new Uint8Array(4096).fill(0xff)], { type: 'image/jpeg' }), 'photo.jpg');
    const text = await (await fetch(`http://127.0.0.1:${seal.port}/foo/bar`, { method: 'POST', body: data })).text();
    expect(text).toMatch(/\nForm:\n  user \['James & Nancy Kirk'\]\n  notes \['hello file\\nline 2\\n'\]\n  photo <'photo\.jpg', 4096 bytes>\n$/);
  });

  it('HTTP/1.0 request: request_version HTTP/1.0 in the report', async () => {
    const seal = await startSeal(['--app', 'demo']);
    const { data, clientPort } = await exchange(seal.port, 'GET /x HTTP/1.0\r\n\r\n');
    const response = parseRawResponse(data);
    expect(response.statusLine).toMatch(/^HTTP\/1\.[01] 200 OK$/);
    expect(response.body.toString('utf8').replace(/\n$/, '')).toBe(reportLines(seal.port, clientPort, 'GET', '/x', 'HTTP/1.0', [], []));
  });

  it('--quiet: the report is answered but not printed', async () => {
    const seal = await startSeal(['--app', 'demo'], { quiet: true });
    const { data } = await exchange(seal.port, 'GET /foo/bar?hi=x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(parseRawResponse(data).body.toString('utf8')).toContain("  hi ['x']");
    await sleep(150); // give a stray write time to arrive
    expect(await seal.stop('SIGTERM')).toBe(0);
    expect(seal.stdout()).toBe(`listening on http://127.0.0.1:${seal.port}\n`);
  });

  it('`seal serve` with no --app serves the demo (as `npm start` does)', async () => {
    const seal = await startSeal([], { quiet: false });
    const index = await fetchWithTimeout(`http://127.0.0.1:${seal.port}/`);
    expect(index.headers.get('content-type')).toMatch(/^text\/html\b/);
    const html = await index.text();
    expect(html).toContain('Hello, World!');
    expect(html).toContain('/form.html');
    const { data, clientPort } = await exchange(seal.port, 'GET /foo/bar?hi=john%20doe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    const expected = reportLines(seal.port, clientPort, 'GET', '/foo/bar?hi=john%20doe', 'HTTP/1.1', ["  host: 'localhost'", "  connection: 'close'"], [
      "  hi ['john doe']",
    ]);
    expect(parseRawResponse(data).body.toString('utf8').replace(/\n$/, '')).toBe(expected);
    await seal.waitForStdout((text) => text.includes(expected), 'the report on stdout');
    expect(await seal.stop('SIGINT')).toBe(0);
  });
});

// ---- §2 tcp-echo -------------------------------------------------------------------------

describe('tcp-echo', () => {
  it('answers HTTP/1.0 200 with an HTML Hello, World! page, closes, and prints the report', async () => {
    const seal = await startSeal(['--app', 'tcp-echo'], { quiet: false });
    const head = ['GET /hello?x=1 HTTP/1.1', `Host: localhost:${seal.port}`, 'User-Agent: raw', 'X-Mixed-Case:  keep  '];
    const { data, clientPort } = await exchange(seal.port, head.join('\r\n') + '\r\n\r\n');
    const response = parseRawResponse(data);
    expect(response.statusLine).toMatch(/^HTTP\/1\.0 200 /);
    expect(response.header('content-type')).toMatch(/^text\/html\b/);
    const body = response.body.toString('utf8');
    expect(body).toMatch(/<html\b/i);
    expect(body).toContain('Hello, World!');
    const length = response.header('content-length');
    if (length !== undefined) expect(Number(length)).toBe(response.body.length);
    const block = [
      `Client address: ('127.0.0.1', ${clientPort})`,
      `Server address: ('127.0.0.1', ${seal.port})`,
      'BEGIN REQUEST',
      ...head,
      'END REQUEST',
    ].join('\n');
    const stdout = await seal.waitForStdout((text) => text.includes(block + '\n'), 'the tcp-echo report');
    expect(stdout).toBe(`listening on http://127.0.0.1:${seal.port}\n${block}\n`);
  });

  it('--quiet prints nothing per connection', async () => {
    const seal = await startSeal(['--app', 'tcp-echo'], { quiet: true });
    const { data } = await exchange(seal.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(parseRawResponse(data).statusLine).toMatch(/^HTTP\/1\.0 200 /);
    await sleep(100);
    expect(await seal.stop('SIGTERM')).toBe(0);
    expect(seal.stdout()).toBe(`listening on http://127.0.0.1:${seal.port}\n`);
  });
});
