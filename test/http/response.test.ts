/**
 * The response writer alone, over a fake channel that records every write: framing choices,
 * the Date and Connection fields, header validation (response splitting), reason phrases.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SealError } from '../../src/http/errors.js';
import { Response, type ResponseChannel } from '../../src/http/response.js';
import { header, headerAll, parseResponses, type HttpResponse } from '../e2e/support.js';

class FakeChannel implements ResponseChannel {
  headRequest = false;
  versionMinor = 1;
  keepAliveAllowed = true;
  /** What write() answers: false simulates a socket above its high-water mark. */
  writeResult = true;
  readonly writes: Buffer[] = [];
  corked = 0;
  /** Writes that reach the socket together: a write outside cork, or all writes of one cork…uncork. */
  batches = 0;
  /** The keepAlive responseEndedWith() was called with; undefined until then. */
  endedWith: boolean | undefined = undefined;
  endCalls = 0;
  aborted: Error | undefined = undefined;

  constructor(options: Partial<Pick<FakeChannel, 'headRequest' | 'versionMinor' | 'keepAliveAllowed'>> = {}) {
    Object.assign(this, options);
  }

  mayKeepAlive(): boolean {
    return this.keepAliveAllowed;
  }
  write(data: string | Uint8Array, encoding?: 'latin1' | 'utf8'): boolean {
    this.writes.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    if (this.corked === 0) this.batches++;
    return this.writeResult;
  }
  writeMessage(head: string, body: string): void {
    this.cork();
    this.write(head, 'latin1');
    this.write(body, 'utf8');
    this.uncork();
  }
  cork(): void {
    if (this.corked === 0) this.batches++;
    this.corked++;
  }
  uncork(): void {
    this.corked--;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  responseEndedWith(keepAlive: boolean): void {
    this.endCalls++;
    this.endedWith = keepAlive;
  }
  abort(reason: Error): void {
    this.aborted = reason;
  }

  bytes(): Buffer {
    return Buffer.concat(this.writes);
  }
  text(): string {
    return this.bytes().toString('latin1');
  }
  /** The one response written, parsed; close-delimited when the connection will close. */
  response(): HttpResponse {
    const { responses, rest } = parseResponses(this.bytes(), { closed: this.endedWith === false, noBody: () => this.headRequest });
    expect(rest.length).toBe(0);
    expect(responses).toHaveLength(1);
    return responses[0]!;
  }
}

function setup(options: ConstructorParameters<typeof FakeChannel>[0] = {}): { channel: FakeChannel; res: Response } {
  const channel = new FakeChannel(options);
  return { channel, res: new Response(channel) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SealError ? err.code : String(err);
  }
  return undefined;
}

describe('framing (RFC 9112 §6)', () => {
  it('a whole body given to end() gets Content-Length, in one write', () => {
    const { channel, res } = setup();
    res.setHeader('Content-Type', 'text/plain');
    res.end('hello');
    const r = channel.response();
    expect(r.status).toBe(200);
    expect(header(r, 'content-length')).toBe('5');
    expect(header(r, 'transfer-encoding')).toBeUndefined();
    expect(header(r, 'connection')).toBeUndefined();
    expect(r.body.toString()).toBe('hello');
    expect(channel.batches).toBe(1);
    expect(channel.corked).toBe(0);
    expect(channel.endedWith).toBe(true);
    expect(res.finished).toBe(true);
    expect(res.headersSent).toBe(true);
  });

  it('Content-Length counts UTF-8 bytes, not characters', () => {
    const { channel, res } = setup();
    res.end('héllo ✓');
    const r = channel.response();
    expect(header(r, 'content-length')).toBe(String(Buffer.byteLength('héllo ✓')));
    expect(r.body.toString('utf8')).toBe('héllo ✓');
  });

  it('end() with no body sends Content-Length: 0; a Buffer body is sent as it is', () => {
    const empty = setup();
    empty.res.end();
    expect(header(empty.channel.response(), 'content-length')).toBe('0');
    const bytes = setup();
    bytes.res.end(Buffer.from([0, 1, 2, 255]));
    expect([...bytes.channel.response().body]).toEqual([0, 1, 2, 255]);
  });

  it('write() before the length is known chooses chunked (RFC 9112 §7.1), byte-exact', () => {
    const { channel, res } = setup();
    expect(res.write('hello')).toBe(true);
    expect(res.write(Buffer.from(' world!'))).toBe(true);
    // An empty write must not send a zero-size chunk: that would end the body early.
    res.write('');
    res.end('✓');
    const text = channel.text();
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('5\r\nhello\r\n7\r\n world!\r\n3\r\n\xe2\x9c\x93\r\n0\r\n\r\n');
    const r = channel.response();
    expect(header(r, 'transfer-encoding')).toBe('chunked');
    expect(header(r, 'content-length')).toBeUndefined();
    expect(r.body.toString('utf8')).toBe('hello world!✓');
    expect(channel.endedWith).toBe(true);
    expect(channel.corked).toBe(0);
  });

  it('a Content-Length set by the handler frames streamed writes', () => {
    const { channel, res } = setup();
    res.setHeader('content-length', 10);
    res.write('hello');
    res.end('world');
    const r = channel.response();
    expect(headerAll(r, 'content-length')).toEqual(['10']);
    expect(header(r, 'transfer-encoding')).toBeUndefined();
    expect(r.body.toString()).toBe('helloworld');
    expect(channel.endedWith).toBe(true);
  });

  it('RFC 9112 §6.3 HTTP/1.0: a body of unknown length is delimited by the close', () => {
    const { channel, res } = setup({ versionMinor: 0 });
    res.write('a');
    res.end('b');
    const r = channel.response();
    expect(r.framing).toBe('close');
    expect(header(r, 'transfer-encoding')).toBeUndefined();
    expect(header(r, 'connection')).toBe('close');
    expect(r.body.toString()).toBe('ab');
    expect(channel.endedWith).toBe(false);
  });

  it('RFC 9112 §9.3 HTTP/1.0 with a known length keeps the connection, and says so', () => {
    const { channel, res } = setup({ versionMinor: 0 });
    res.end('ab');
    const r = channel.response();
    expect(r.version).toBe('1.1');
    expect(header(r, 'content-length')).toBe('2');
    expect(header(r, 'connection')).toBe('keep-alive');
    expect(channel.endedWith).toBe(true);
  });

  it('a connection that may not persist gets Connection: close', () => {
    for (const versionMinor of [0, 1]) {
      const { channel, res } = setup({ versionMinor, keepAliveAllowed: false });
      res.end('x');
      expect(headerAll(channel.response(), 'connection')).toEqual(['close']);
      expect(channel.endedWith).toBe(false);
    }
  });

  it('RFC 9110 §9.3.2 HEAD: the fields a GET would get, no content', () => {
    const whole = setup({ headRequest: true });
    whole.res.end('hello');
    expect(whole.channel.text()).toMatch(/\r\nContent-Length: 5\r\n\r\n$/);
    expect(whole.channel.endedWith).toBe(true);

    const streamed = setup({ headRequest: true });
    streamed.res.write('hello');
    streamed.res.end('world');
    expect(streamed.channel.text()).toMatch(/\r\nTransfer-Encoding: chunked\r\n\r\n$/);
    expect(streamed.channel.endedWith).toBe(true);

    // A handler that knows the length without producing the body may declare it.
    const declared = setup({ headRequest: true });
    declared.res.setHeader('Content-Length', 1000);
    declared.res.end();
    expect(declared.channel.text()).toMatch(/\r\nContent-Length: 1000\r\n\r\n$/);
    expect(declared.channel.aborted).toBeUndefined();
    expect(declared.channel.endedWith).toBe(true);
  });

  it('RFC 9110 §6.4.1 204 and 304 carry no content and no chunked framing', () => {
    const noContent = setup();
    noContent.res.status = 204;
    noContent.res.setHeader('Content-Length', 4);
    noContent.res.write('body');
    noContent.res.end('more');
    const r204 = noContent.channel.response();
    expect(r204.status).toBe(204);
    expect(r204.raw.toString()).toMatch(/\r\n\r\n$/);
    // RFC 9110 §8.6: a server MUST NOT send Content-Length in a 204.
    expect(header(r204, 'content-length')).toBeUndefined();
    expect(header(r204, 'transfer-encoding')).toBeUndefined();
    expect(noContent.channel.endedWith).toBe(true);

    const notModified = setup();
    notModified.res.status = 304;
    notModified.res.setHeader('Content-Length', 1234);
    notModified.res.end();
    const r304 = notModified.channel.response();
    expect(header(r304, 'content-length')).toBe('1234');
    expect(notModified.channel.text()).toMatch(/\r\n\r\n$/);
    expect(notModified.channel.aborted).toBeUndefined();
  });

  it('RFC 9110 §15.3.6 205 Reset Content: no content, framed by Content-Length: 0', () => {
    const { channel, res } = setup();
    res.status = 205;
    res.end('ignored');
    const r = channel.response();
    expect(r.status).toBe(205);
    expect(header(r, 'content-length')).toBe('0');
    expect(channel.text()).toMatch(/\r\n\r\n$/);
    expect(channel.endedWith).toBe(true);
  });

  it('a declared Content-Length that the whole body does not match is refused before anything is sent', () => {
    const { channel, res } = setup();
    res.setHeader('Content-Length', 10);
    expect(codeOf(() => res.end('hello'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
    expect(channel.writes).toHaveLength(0);
    expect(res.headersSent).toBe(false);
    expect(res.finished).toBe(false);
  });

  it('more streamed body than the declared Content-Length aborts the connection', () => {
    const { channel, res } = setup();
    res.setHeader('Content-Length', 3);
    expect(codeOf(() => res.write('hello'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
    expect(channel.aborted).toBeInstanceOf(SealError);
    expect(channel.text()).not.toContain('hello');
  });

  it('less streamed body than the declared Content-Length aborts instead of ending', () => {
    const { channel, res } = setup();
    res.setHeader('Content-Length', 10);
    res.write('hello');
    res.end();
    expect(channel.aborted).toBeInstanceOf(SealError);
    expect(channel.endedWith).toBeUndefined();
  });

  it('removing Content-Length removes the framing it declared', () => {
    const { channel, res } = setup();
    res.setHeader('Content-Length', 5);
    expect(res.getHeader('content-length')).toBe('5');
    expect(res.hasHeader('Content-Length')).toBe(true);
    res.removeHeader('content-length');
    expect(res.getHeader('Content-Length')).toBeUndefined();
    res.end('hello world');
    expect(header(channel.response(), 'content-length')).toBe('11');
  });
});

describe('Date and Connection fields', () => {
  it('RFC 9110 §6.6.1 Date is sent once, in IMF-fixdate', () => {
    const { channel, res } = setup();
    res.end();
    const dates = headerAll(channel.response(), 'date');
    expect(dates).toHaveLength(1);
    expect(dates[0]).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Math.abs(Date.parse(dates[0]!) - Date.now())).toBeLessThan(5_000);
  });

  it("a handler's own Date replaces the server's", () => {
    const { channel, res } = setup();
    res.setHeader('date', 'Sun, 06 Nov 1994 08:49:37 GMT');
    res.end();
    expect(headerAll(channel.response(), 'date')).toEqual(['Sun, 06 Nov 1994 08:49:37 GMT']);
  });

  it('a handler that sets Connection: close gets one such field, and the connection closes', () => {
    const { channel, res } = setup();
    res.setHeader('Connection', 'close');
    res.end('x');
    expect(headerAll(channel.response(), 'connection')).toEqual(['close']);
    expect(channel.endedWith).toBe(false);
  });

  it('a Connection: keep-alive the server cannot honour does not contradict its close', () => {
    const { channel, res } = setup({ keepAliveAllowed: false });
    res.setHeader('Connection', 'keep-alive');
    res.end('x');
    expect(headerAll(channel.response(), 'connection')).toEqual(['close']);
  });

  it('other Connection options are kept as set', () => {
    const { channel, res } = setup();
    res.setHeader('Connection', 'x-custom');
    res.end('x');
    expect(headerAll(channel.response(), 'connection')).toEqual(['x-custom']);
  });
});

describe('header fields', () => {
  it('set, append, get, remove, pairs; names keep their case, lookups ignore it', () => {
    const { channel, res } = setup();
    res.setHeader('X-Multi', ['a', 'b']);
    res.appendHeader('x-multi', 'c');
    res.setHeader('X-Number', 42);
    res.setHeader('X-Gone', 'soon');
    res.removeHeader('x-GONE');
    expect(res.getHeader('X-MULTI')).toBe('a');
    expect(res.hasHeader('x-gone')).toBe(false);
    expect(res.headerPairs()).toEqual([
      ['X-Multi', 'a'],
      ['X-Multi', 'b'],
      ['x-multi', 'c'],
      ['X-Number', '42'],
    ]);
    res.setHeader('x-number', 7);
    res.end();
    const r = channel.response();
    expect(headerAll(r, 'x-multi')).toEqual(['a', 'b', 'c']);
    expect(headerAll(r, 'x-number')).toEqual(['7']);
    expect(r.headers.some(([name]) => name === 'X-Multi')).toBe(true);
  });

  it('writeHead sets the status and fields, from a record or from pairs', () => {
    const record = setup();
    record.res.writeHead(201, { Location: '/new', 'X-A': ['1', '2'] });
    record.res.end();
    const r = record.channel.response();
    expect(r.status).toBe(201);
    expect(r.reason).toBe('Created');
    expect(header(r, 'location')).toBe('/new');
    expect(headerAll(r, 'x-a')).toEqual(['1', '2']);

    const pairs = setup();
    pairs.res.writeHead(202, [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
    pairs.res.end();
    expect(headerAll(pairs.channel.response(), 'set-cookie')).toEqual(['a=1', 'b=2']);
  });

  it('fields are closed once the header has been sent', () => {
    const { res } = setup();
    res.write('x');
    expect(codeOf(() => res.setHeader('X-Late', '1'))).toBe(ErrorCode.HANDLER_FAILED);
    expect(codeOf(() => res.removeHeader('X-Late'))).toBe(ErrorCode.HANDLER_FAILED);
    expect(codeOf(() => res.writeHead(404))).toBe(ErrorCode.HANDLER_FAILED);
    res.end();
    expect(codeOf(() => res.write('more'))).toBe(ErrorCode.HANDLER_FAILED);
  });

  it('end() twice does nothing the second time', () => {
    const { channel, res } = setup();
    res.end('once');
    res.end('twice');
    expect(channel.text()).not.toContain('twice');
    expect(channel.endCalls).toBe(1);
  });

  it('obs-text values are sent as latin1 bytes, one byte per character (RFC 9110 §5.5)', () => {
    const { channel, res } = setup();
    res.setHeader('X-Latin', 'caf\u00e9');
    res.end('body ✓');
    const bytes = channel.bytes();
    expect(bytes.includes(Buffer.from('X-Latin: caf\xe9\r\n', 'latin1'))).toBe(true);
    expect(channel.response().body.toString('utf8')).toBe('body ✓');
  });

  const badValues: [string, string][] = [
    ['CR LF', 'a\r\nSet-Cookie: evil=1'],
    ['a bare LF', 'a\nSet-Cookie: evil=1'],
    ['a bare CR', 'a\rb'],
    ['NUL', 'a\0b'],
    ['another control character', 'a\x7fb'],
    ['a header section break', '\r\n\r\nHTTP/1.1 200 OK\r\n'],
    ['a character beyond latin1', 'snow \u2603'],
  ];
  for (const [name, value] of badValues) {
    it(`RFC 9110 §5.5 a value holding ${name} is refused (no response splitting)`, () => {
      const { channel, res } = setup();
      expect(codeOf(() => res.setHeader('X-A', value))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      expect(codeOf(() => res.appendHeader('X-A', ['fine', value]))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      expect(codeOf(() => res.writeHead(200, { 'X-A': value }))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      res.end();
      expect(channel.text()).not.toMatch(/evil|X-A/);
    });
  }

  const badNames = ['', 'X A', 'X:A', 'X-A\r\nSet-Cookie', 'X\0', '(x)', 'caf\u00e9'];
  for (const name of badNames) {
    it(`RFC 9110 §5.1 a field name that is not a token is refused: ${JSON.stringify(name)}`, () => {
      const { res } = setup();
      expect(codeOf(() => res.setHeader(name, 'v'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
    });
  }

  it('Transfer-Encoding is the writer\'s to set; Content-Length must be a decimal number', () => {
    const { res } = setup();
    expect(codeOf(() => res.setHeader('Transfer-Encoding', 'chunked'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
    for (const bad of ['-1', '1.5', '0x10', '1, 2', ' ', '']) {
      expect(codeOf(() => res.setHeader('Content-Length', bad))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
    }
  });
});

describe('status line (RFC 9112 §4)', () => {
  it('standard reason phrases, and the class phrase for a code without one', () => {
    const cases: [number, string][] = [
      [200, 'OK'],
      [404, 'Not Found'],
      [413, 'Content Too Large'],
      [431, 'Request Header Fields Too Large'],
      [418, 'Client Error'],
      [299, 'Success'],
      [599, 'Server Error'],
    ];
    for (const [status, reason] of cases) {
      const { channel, res } = setup();
      res.status = status;
      res.end();
      expect(channel.text().split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${reason}`);
    }
  });

  it('a custom reason phrase, an empty one, and one with obs-text', () => {
    const custom = setup();
    custom.res.status = 200;
    custom.res.reason = 'Everything\tFine';
    custom.res.end('x');
    expect(custom.channel.text().split('\r\n')[0]).toBe('HTTP/1.1 200 Everything\tFine');

    const empty = setup();
    empty.res.reason = '';
    empty.res.end();
    expect(empty.channel.text().split('\r\n')[0]).toBe('HTTP/1.1 200 ');

    const latin = setup();
    latin.res.reason = 'D\u00e9j\u00e0 vu';
    latin.res.end('x');
    expect(latin.channel.bytes().subarray(0, 22).equals(Buffer.from('HTTP/1.1 200 D\xe9j\xe0 vu\r\n', 'latin1'))).toBe(true);
  });

  it('a reason phrase holding CR, LF or NUL is refused when the header would be sent', () => {
    for (const reason of ['OK\r\nSet-Cookie: evil=1', 'OK\nX', 'OK\0', 'snow \u2603']) {
      const { channel, res } = setup();
      res.reason = reason;
      expect(codeOf(() => res.end('x'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      expect(codeOf(() => res.write('x'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      expect(channel.writes).toHaveLength(0);
    }
  });

  it('a status that is not an integer from 200 to 599 is refused (RFC 9110 §15)', () => {
    const bogus: unknown[] = [99, 100, 103, 600, 1000, 200.5, Number.NaN, '200', '200 OK\r\nSet-Cookie: evil=1'];
    for (const status of bogus) {
      const { channel, res } = setup();
      Reflect.set(res, 'status', status);
      expect(codeOf(() => res.end('x'))).toBe(ErrorCode.INVALID_RESPONSE_HEADER);
      expect(channel.writes).toHaveLength(0);
    }
  });

  it('replaceWithError discards what the handler set and answers with Connection: close', () => {
    const { channel, res } = setup();
    res.status = 201;
    res.reason = 'Made';
    res.setHeader('X-Secret', 'token');
    res.setHeader('Content-Length', 99);
    res.replaceWithError(500, ErrorCode.HANDLER_FAILED);
    const r = channel.response();
    expect(r.status).toBe(500);
    expect(r.reason).toBe('Internal Server Error');
    expect(header(r, 'x-secret')).toBeUndefined();
    expect(header(r, 'connection')).toBe('close');
    expect(r.body.toString()).toBe(`500 Internal Server Error: ${ErrorCode.HANDLER_FAILED}\n`);
    expect(channel.endedWith).toBe(false);
  });

  it('RFC 9110 §15.2.1 100 Continue goes out before the final response, and never after it', () => {
    const { channel, res } = setup();
    res.sendContinue();
    res.end('x');
    res.sendContinue();
    const { responses } = parseResponses(channel.bytes());
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(channel.text().startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
  });
});

describe('backpressure', () => {
  it("write() answers the socket's high-water verdict", () => {
    const { channel, res } = setup();
    expect(res.write('a')).toBe(true);
    channel.writeResult = false;
    expect(res.write('b')).toBe(false);
    res.end();
  });
});
