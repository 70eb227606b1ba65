/**
 * WSGI-style applications (PEP 3333) on Seal: the classic simple_app, the environ a request
 * makes, status lines, exceptions before and after the body began, HEAD, REMOTE_USER, a mount
 * prefix, the legacy write callable, and wsgi.input.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { basicUser, wsgi, type StartResponse, type WsgiApplication, type WsgiEnviron, type WsgiOptions } from '../../src/adapters/wsgi.js';
import { startServer, type HttpResponse } from '../e2e/support.js';
import { CERT, cleanup as cleanupTls, startHttps } from '../tls/helpers.js';
import { RawClient, cleanup, header, sleep, waitFor } from './support.js';

afterEach(async () => {
  await cleanup();
  await cleanupTls();
});

const encoder = new TextEncoder();

async function startWsgi(app: WsgiApplication, options: WsgiOptions = {}, errors: Error[] = []): Promise<number> {
  const { port } = await startServer({ handler: wsgi(app, options), onError: (error) => errors.push(error) });
  return port;
}

async function request(port: number, raw: string, head = false): Promise<HttpResponse> {
  const client = await RawClient.connect(port);
  client.write(raw);
  const [response] = await client.responses(1, 5_000, () => head);
  return response!;
}

/** PEP 3333's simple_app, ported: "Hello, world!" and the path, with an exact Content-Length. */
const simpleApp: WsgiApplication = (environ, startResponse) => {
  const body = encoder.encode(`Hello, world!\nPath: ${environ.PATH_INFO}\n`);
  startResponse('200 OK', [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(body.byteLength)],
  ]);
  return [body];
};

describe('the classic simple_app', () => {
  it('answers Hello, world! and the path, with an exact Content-Length', async () => {
    const port = await startWsgi(simpleApp);
    const response = await request(port, 'GET /caf%C3%A9/x?y=1 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(response.status).toBe(200);
    expect(response.reason).toBe('OK');
    expect(header(response, 'content-type')).toBe('text/plain; charset=utf-8');
    expect(response.framing).toBe('length');
    expect(header(response, 'content-length')).toBe(String(response.body.length));
    expect(response.body.toString('utf8')).toBe('Hello, world!\nPath: /café/x\n');
  });

  it('gets an exact Content-Length from the server when the body is one chunk', async () => {
    const port = await startWsgi(function* (_environ, startResponse) {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      yield '';
      yield 'one piece';
      yield new Uint8Array(0);
    });
    const response = await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([response.framing, header(response, 'content-length'), response.body.toString()]).toEqual(['length', '9', 'one piece']);
  });
});

describe('the environ', () => {
  it('carries the CGI variables, every field as HTTP_*, and the wsgi.* keys', async () => {
    let seen: WsgiEnviron | undefined;
    const port = await startWsgi((environ, startResponse) => {
      seen = environ;
      startResponse('204 No Content', []);
      return [];
    });
    const client = await RawClient.connect(port);
    client.write(
      'POST /a%20b/c?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n' +
        'X-Multi: 1\r\nx-multi: 2\r\nCookie: a=1\r\nCookie: b=2\r\nX_Spoofed: no\r\nUser-Agent: test\r\n\r\nabc',
    );
    await client.responses(1);
    expect(seen).toMatchObject({
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '',
      PATH_INFO: '/a b/c',
      QUERY_STRING: 'x=1&y=%20',
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '3',
      SERVER_NAME: 'example.com',
      SERVER_PORT: String(port),
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: String(client.port),
      HTTP_HOST: 'example.com:8080',
      HTTP_X_MULTI: '1,2',
      HTTP_COOKIE: 'a=1; b=2',
      HTTP_USER_AGENT: 'test',
      'wsgi.version': [1, 0],
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': false,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
    });
    const keys = Object.keys(seen!);
    expect(keys).not.toContain('HTTP_CONTENT_TYPE');
    expect(keys).not.toContain('HTTP_CONTENT_LENGTH');
    expect(keys).not.toContain('HTTP_X_SPOOFED');
    expect(keys).not.toContain('REMOTE_USER');
    expect(seen!['seal.request'].method).toBe('POST');
  });

  it('leaves CONTENT_TYPE and CONTENT_LENGTH empty when absent, and names the server when there is no Host', async () => {
    let seen: WsgiEnviron | undefined;
    const port = await startWsgi((environ, startResponse) => {
      seen = environ;
      startResponse('200 OK', []);
      return [];
    });
    await request(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(seen).toMatchObject({ CONTENT_TYPE: '', CONTENT_LENGTH: '', SERVER_NAME: '127.0.0.1', SERVER_PROTOCOL: 'HTTP/1.0', QUERY_STRING: '', PATH_INFO: '/' });
  });

  it("says https in wsgi.url_scheme over TLS", async () => {
    const { port } = await startHttps({
      handler: wsgi((environ, startResponse) => {
        startResponse('200 OK', []);
        return [environ['wsgi.url_scheme']];
      }),
    });
    const dispatcher = new Agent({ connect: { ca: CERT.certPem, rejectUnauthorized: false } });
    expect(await (await undiciFetch(`https://localhost:${port}/`, { dispatcher })).text()).toBe('https');
    await dispatcher.close();
  });

  it('sets REMOTE_USER (and AUTH_TYPE) from a well-formed Authorization: Basic', async () => {
    let seen: WsgiEnviron | undefined;
    const port = await startWsgi((environ, startResponse) => {
      seen = environ;
      startResponse('200 OK', []);
      return [];
    });
    const basic = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    await request(port, `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basic('aladdin:open sesame')}\r\n\r\n`);
    expect([seen!.REMOTE_USER, seen!.AUTH_TYPE, seen!.HTTP_AUTHORIZATION]).toEqual(['aladdin', 'Basic', `Basic ${basic('aladdin:open sesame')}`]);
    await request(port, 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n');
    expect(seen!.REMOTE_USER).toBeUndefined();
  });

  it('reads Basic credentials strictly', () => {
    const b64 = (text: string, encoding: BufferEncoding = 'utf8'): string => Buffer.from(text, encoding).toString('base64');
    expect(basicUser(`Basic ${b64('user:pass')}`)).toBe('user');
    expect(basicUser(`basic   ${b64('user:')}`)).toBe('user');
    expect(basicUser(`Basic ${b64(':pass')}`)).toBe('');
    expect(basicUser(`Basic ${b64('zoë:pass')}`)).toBe('zoë');
    expect(basicUser(`Basic ${b64('zoë:pass', 'latin1')}`)).toBe('zoë');
    expect(basicUser(`Basic ${b64('no colon')}`)).toBeUndefined();
    expect(basicUser('Basic not*base64')).toBeUndefined();
    expect(basicUser('Basic abc')).toBeUndefined();
    expect(basicUser('Basic')).toBeUndefined();
    expect(basicUser('Digest username="x"')).toBeUndefined();
    expect(basicUser(undefined)).toBeUndefined();
  });
});

describe('the mount prefix', () => {
  it('splits the path into SCRIPT_NAME and PATH_INFO, and answers 404 outside it', async () => {
    const port = await startWsgi(
      (environ, startResponse) => {
        startResponse('200 OK', []);
        return [JSON.stringify([environ.SCRIPT_NAME, environ.PATH_INFO])];
      },
      { scriptName: '/app/' },
    );
    expect((await request(port, 'GET /app/x/y?z HTTP/1.1\r\nHost: h\r\n\r\n')).body.toString()).toBe('["/app","/x/y"]');
    expect((await request(port, 'GET /app HTTP/1.1\r\nHost: h\r\n\r\n')).body.toString()).toBe('["/app",""]');
    expect((await request(port, 'GET /app/ HTTP/1.1\r\nHost: h\r\n\r\n')).body.toString()).toBe('["/app","/"]');
    expect((await request(port, 'GET /apple HTTP/1.1\r\nHost: h\r\n\r\n')).status).toBe(404);
    expect((await request(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')).status).toBe(404);
  });
});

describe('status and headers', () => {
  it('maps the status line to the status code and reason', async () => {
    const port = await startWsgi((environ, startResponse) => {
      startResponse(decodeURIComponent(environ.QUERY_STRING), [['X-Status', 'set']]);
      return ['body'];
    });
    for (const [line, status, reason] of [
      ['404 Not Found', 404, 'Not Found'],
      ["418 I'm a teapot", 418, "I'm a teapot"],
      ['200 Fine Thanks', 200, 'Fine Thanks'],
      ['503', 503, 'Service Unavailable'],
    ] as const) {
      const response = await request(port, `GET /?${encodeURIComponent(line)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect([response.status, response.reason, header(response, 'x-status')], line).toEqual([status, reason, 'set']);
    }
  });

  it('answers 500 for a malformed status, hop-by-hop headers, or a header that is no pair', async () => {
    const errors: Error[] = [];
    const port = await startWsgi(
      (environ, startResponse) => {
        const bad: Record<string, () => void> = {
          status: () => startResponse('OK', []),
          hop: () => startResponse('200 OK', [['Connection', 'close']]),
          pair: () => startResponse('200 OK', [['X-A'] as unknown as [string, string]]),
          crlf: () => startResponse('200 OK', [['X-A', 'a\r\nInjected: yes']]),
        };
        bad[environ.PATH_INFO.slice(1)]!();
        return ['never'];
      },
      {},
      errors,
    );
    for (const path of ['status', 'hop', 'pair', 'crlf']) {
      const response = await request(port, `GET /${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(response.status, path).toBe(500);
      expect(response.body.toString()).not.toContain('Injected');
    }
    expect(errors).toHaveLength(4);
  });
});

describe('exceptions', () => {
  it('answers 500 when the application throws before the body began', async () => {
    const errors: Error[] = [];
    const port = await startWsgi(
      (environ, startResponse) => {
        if (environ.PATH_INFO === '/before') throw new Error('before start');
        startResponse('200 OK', []);
        return (function* () {
          throw new Error('in the iterable');
        })();
      },
      {},
      errors,
    );
    expect((await request(port, 'GET /before HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(500);
    expect((await request(port, 'GET /during HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(500);
    expect(errors.map((e) => e.message)).toEqual(['before start', 'in the iterable']);
  });

  it('cuts the connection when the application fails after the body began', async () => {
    let closed = false;
    const port = await startWsgi((_environ, startResponse) => {
      startResponse('200 OK', []);
      const body = (async function* () {
        yield 'first part, ';
        yield 'second part';
        await sleep(10);
        throw new Error('after the body began');
      })();
      return Object.assign(body, { close: () => void (closed = true) });
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.serverEnded();
    expect(client.text()).toContain('first part, ');
    expect(client.text()).not.toContain('0\r\n\r\n');
    expect(closed).toBe(true);
  });

  it('lets startResponse be called again with excInfo before the body began, and re-raises it after', async () => {
    const port = await startWsgi((environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      if (environ.PATH_INFO === '/replace') {
        const error = new Error('handled');
        startResponse('503 Try Later', [['Retry-After', '5']], error);
        return ['replaced'];
      }
      if (environ.PATH_INFO === '/twice') {
        startResponse('500 Oops', []);
        return ['unreachable'];
      }
      return (function* () {
        yield 'begun, ';
        yield 'and sent';
        startResponse('500 Too Late', [], [Error, new Error('too late'), null]);
      })();
    });
    const replaced = await request(port, 'GET /replace HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([replaced.status, replaced.reason, header(replaced, 'retry-after'), header(replaced, 'content-type'), replaced.body.toString()]).toEqual([
      503,
      'Try Later',
      '5',
      undefined,
      'replaced',
    ]);
    expect((await request(port, 'GET /twice HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(500);
    const client = await RawClient.connect(port);
    client.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.serverEnded();
    expect(client.text()).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('calls close() on the iterable when it was read to its end', async () => {
    let closed = 0;
    const port = await startWsgi((_environ, startResponse) => {
      startResponse('200 OK', []);
      const chunks = ['a', 'b'];
      return Object.assign(chunks, { close: () => void closed++ });
    });
    expect((await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).body.toString()).toBe('ab');
    expect(closed).toBe(1);
  });

  it('answers 500 when the application returns without calling startResponse', async () => {
    const port = await startWsgi(() => ['no start']);
    expect((await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(500);
  });
});

describe('HEAD', () => {
  it('sends the GET header with its Content-Length, and no body', async () => {
    const port = await startWsgi(simpleApp);
    const client = await RawClient.connect(port);
    client.write('HEAD /p HTTP/1.1\r\nHost: x\r\n\r\nGET /p HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head, get] = await client.responses(2, 5_000, (i) => i === 0);
    expect(header(head!, 'content-length')).toBe(header(get!, 'content-length'));
    expect(head!.raw.toString()).not.toContain('Hello');
    expect(get!.body.toString()).toContain('Hello, world!');
  });
});

describe('the body', () => {
  it('streams an async iterable chunk by chunk (chunked)', async () => {
    const port = await startWsgi(async (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        for (let i = 0; i < 3; i++) {
          yield `line ${i}\n`;
          await sleep(2);
        }
      })();
    });
    const response = await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([response.framing, response.body.toString()]).toEqual(['chunked', 'line 0\nline 1\nline 2\n']);
  });

  it('writes through the legacy write callable, before what the iterable gives', async () => {
    const port = await startWsgi((_environ, startResponse) => {
      const write = startResponse('200 OK', []);
      write('written, ');
      write(encoder.encode('bytes, '));
      return ['returned'];
    });
    const response = await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(response.body.toString()).toBe('written, bytes, returned');
  });

  it('holds a large body back while the client does not read (backpressure)', async () => {
    let produced = 0;
    const chunk = new Uint8Array(64 * 1024);
    const port = await startWsgi((_environ, startResponse: StartResponse) => {
      startResponse('200 OK', []);
      return (function* () {
        for (;;) {
          produced += chunk.byteLength;
          yield chunk;
        }
      })();
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => produced > 0, 5_000, 'the body to begin');
    await sleep(300);
    const settled = produced;
    await sleep(200);
    expect(produced).toBe(settled);
    expect(produced).toBeLessThan(32 * 1024 * 1024);
    client.destroy();
  });
});

describe('wsgi.input', () => {
  it('reads the body with read(size), readline(), readlines(), read()', async () => {
    const port = await startWsgi(async (environ, startResponse) => {
      const input = environ['wsgi.input'];
      const first = await input.read(3);
      const line = await input.readline();
      const limited = await input.readline(2);
      const lines = await input.readlines();
      const end = await input.read();
      startResponse('200 OK', [['Content-Type', 'application/json']]);
      const text = (b: Uint8Array): string => Buffer.from(b).toString();
      return [JSON.stringify({ first: text(first), line: text(line), limited: text(limited), lines: lines.map(text), end: text(end) })];
    });
    const body = 'abcdef\nghijk\nl\nmno';
    const chunked = '3\r\nabc\r\n5\r\ndef\ng\r\n2\r\nhi\r\n8\r\njk\nl\nmno\r\n0\r\n\r\n';
    for (const raw of [
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`,
    ]) {
      const response = await request(port, raw);
      expect(JSON.parse(response.body.toString())).toEqual({ first: 'abc', line: 'def\n', limited: 'gh', lines: ['ijk\n', 'l\n', 'mno'], end: '' });
    }
  });

  it('iterates the body chunk by chunk, and reads it all with read()', async () => {
    const port = await startWsgi(async (environ, startResponse) => {
      let total = 0;
      if (environ.PATH_INFO === '/iterate') {
        for await (const chunk of environ['wsgi.input']) total += chunk.byteLength;
      } else total = (await environ['wsgi.input'].read()).byteLength;
      startResponse('200 OK', []);
      return [String(total)];
    });
    const big = 'z'.repeat(300_000);
    for (const path of ['/iterate', '/read']) {
      const response = await request(port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
      expect(response.body.toString(), path).toBe('300000');
    }
  });
});

describe('wsgi.errors', () => {
  it('writes to the sink given', async () => {
    const lines: string[] = [];
    const port = await startWsgi(
      (environ, startResponse) => {
        environ['wsgi.errors'].write('one\n');
        environ['wsgi.errors'].writelines(['two\n', 'three\n']);
        environ['wsgi.errors'].flush();
        startResponse('200 OK', []);
        return [];
      },
      { errors: { write: (text) => lines.push(text) } },
    );
    await request(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(lines.join('')).toBe('one\ntwo\nthree\n');
  });
});
