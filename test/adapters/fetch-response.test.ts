/**
 * FetchResponse against the platform's Response: for every way of making one, the same
 * attributes, the same headers, the same body, the same errors — and the body in hand only when
 * it is one (a string or bytes).
 */
import { describe, expect, it } from 'vitest';
import { PlatformResponse } from '../../src/adapters/platform.js';
import { FetchResponse } from '../../src/adapters/fetch-response.js';

type Body = ConstructorParameters<typeof Response>[0];
type Init = ResponseInit | undefined;

/** Makes a FetchResponse with the platform Response's constructor signature. */
function fast(body?: Body, init?: Init): Response {
  return new FetchResponse(body, init) as unknown as Response;
}

function platform(body?: Body, init?: Init): Response {
  return new PlatformResponse(body, init);
}

interface Observed {
  status: number;
  statusText: string;
  ok: boolean;
  type: string;
  url: string;
  redirected: boolean;
  headers: [string, string][];
  setCookie: string[];
  hasBody: boolean;
  bodyUsed: boolean;
  text: string;
  bodyUsedAfter: boolean;
}

async function observe(response: Response): Promise<Observed> {
  const seen = {
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    type: response.type,
    url: response.url,
    redirected: response.redirected,
    headers: [...response.headers],
    setCookie: response.headers.getSetCookie(),
    hasBody: response.body !== null,
    bodyUsed: response.bodyUsed,
  };
  const text = await response.text();
  return { ...seen, text, bodyUsedAfter: response.bodyUsed };
}

/** The error a constructor throws, as [class name, message]; null when it does not throw. */
function thrown(make: () => unknown): [string, string] | null {
  try {
    make();
    return null;
  } catch (error) {
    return error instanceof Error ? [error.constructor.name, error.message] : ['?', String(error)];
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const CASES: [string, () => Body, Init][] = [
  ['no arguments', () => undefined, undefined],
  ['null body', () => null, undefined],
  ['a string', () => 'Hello, World!', undefined],
  ['an empty string', () => '', undefined],
  ['a non-ASCII string', () => 'héllo ☃', undefined],
  ['a Uint8Array', () => bytes('bytes'), undefined],
  ['a Buffer view', () => Buffer.from('xxbufferxx').subarray(2, 8), undefined],
  ['an ArrayBuffer', () => bytes('ab').buffer as ArrayBuffer, undefined],
  ['a DataView', () => new DataView(bytes('0123456789').buffer as ArrayBuffer, 2, 3), undefined],
  ['a string and a status', () => 'created', { status: 201 }],
  ['a status text', () => 'x', { status: 299, statusText: 'Fine Thanks' }],
  ['plain object headers', () => 'x', { headers: { 'Content-Type': 'application/json', 'X-One': ' padded\t' } }],
  ['a Content-Type given in lower case', () => 'x', { headers: { 'content-type': 'text/html' } }],
  ['Headers', () => 'x', { headers: new Headers([['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-A', '1']]) }],
  ['header pairs', () => 'x', { headers: [['X-A', '1'], ['x-a', '2']] }],
  ['the same name twice in two cases', () => 'x', { headers: { 'X-A': '1', 'x-a': '2' } }],
  ['a 204 without a body', () => null, { status: 204 }],
  ['a 304 without a body', () => null, { status: 304, headers: { ETag: '"1"' } }],
  ['a redirect', () => null, { status: 302, headers: { Location: '/there' } }],
  ['URLSearchParams', () => new URLSearchParams('a=1&b=2'), undefined],
  ['a Blob', () => new Blob(['blob'], { type: 'text/x-blob' }), { status: 202 }],
  ['a stream', () => new ReadableStream({ start: (c) => (c.enqueue(bytes('streamed')), c.close()) }), { headers: { 'X-S': '1' } }],
  ['a status given as a string', () => 'x', { status: '201' as unknown as number }],
  ['an undefined status', () => 'x', { status: undefined, headers: undefined }],
];

const REFUSED: [string, () => Body, Init][] = [
  ['status 99', () => 'x', { status: 99 }],
  ['status 600', () => 'x', { status: 600 }],
  ['a body with 204', () => 'x', { status: 204 }],
  ['a body with 304', () => new Uint8Array(1), { status: 304 }],
  ['a bad status text', () => 'x', { statusText: 'bad\nline' }],
  ['a bad header name', () => 'x', { headers: { 'a b': 'x' } }],
  ['a header value with LF', () => 'x', { headers: { a: 'x\ny' } }],
  ['a header value beyond Latin-1', () => 'x', { headers: { a: '☃' } }],
  ['bad header pairs', () => 'x', { headers: [['a']] as unknown as [string, string][] }],
  ['a number as init', () => 'x', 5 as unknown as ResponseInit],
];

describe('FetchResponse is the platform Response, observed from outside', () => {
  for (const [name, body, init] of CASES) {
    it(`${name}: same attributes, headers and body`, async () => {
      expect(await observe(fast(body(), init))).toEqual(await observe(platform(body(), init)));
    });
  }

  for (const [name, body, init] of REFUSED) {
    it(`${name}: the same error`, () => {
      const expected = thrown(() => platform(body(), init));
      expect(expected).not.toBeNull();
      expect(thrown(() => fast(body(), init))).toEqual(expected);
    });
  }

  it('keeps a copy of a byte body, as the platform does', async () => {
    const source = bytes('abc');
    const response = fast(source);
    source[0] = 0x7a;
    expect(await response.text()).toBe('abc');
  });

  it('is a Response: instanceof, prototype, toString, and platform Responses count too', () => {
    const response = fast('x');
    expect(response).toBeInstanceOf(PlatformResponse);
    expect(Object.prototype.toString.call(response)).toBe('[object Response]');
    expect(platform('x') instanceof (FetchResponse as unknown as typeof Response)).toBe(true);
    expect({} instanceof (FetchResponse as unknown as typeof Response)).toBe(false);
    expect(FetchResponse.name).toBe('Response');
  });

  it('can be subclassed', async () => {
    class Mine extends (FetchResponse as unknown as typeof Response) {
      get mine(): string {
        return 'mine';
      }
    }
    const response = new Mine('sub', { status: 201 });
    expect(response).toBeInstanceOf(Mine);
    expect(response.mine).toBe('mine');
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('sub');
    expect({} instanceof Mine).toBe(false);
  });

  it('inherits the static methods', async () => {
    const json = (FetchResponse as unknown as typeof Response).json({ a: 1 }, { status: 201 });
    expect(json.status).toBe(201);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ a: 1 });
    const redirect = (FetchResponse as unknown as typeof Response).redirect('http://example.com/', 301);
    expect(redirect.headers.get('location')).toBe('http://example.com/');
  });

  it('hands the same Headers object out every time, and changes to it count for the body algorithms', async () => {
    const response = fast('<p>hi</p>');
    const headers = response.headers;
    expect(response.headers).toBe(headers);
    headers.set('content-type', 'text/html');
    const clone = response.clone();
    expect(response.headers).toBe(headers);
    expect(clone.headers.get('content-type')).toBe('text/html');
    headers.set('content-type', 'text/x-later');
    expect((await response.blob()).type).toBe('text/x-later');
    expect(await clone.text()).toBe('<p>hi</p>');
  });

  it('reads its body once, like the platform', async () => {
    const response = fast('once');
    expect(await response.text()).toBe('once');
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it('gives bytes(), arrayBuffer(), json() and formData() as the platform does', async () => {
    expect(await fast('{"a":[1]}').json()).toEqual({ a: [1] });
    expect(new Uint8Array(await fast('ab').arrayBuffer())).toEqual(bytes('ab'));
    expect(await (fast('ab') as Response & { bytes(): Promise<Uint8Array> }).bytes()).toEqual(bytes('ab'));
    const form = await fast('a=1&b=%20', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData();
    expect([...form]).toEqual([['a', '1'], ['b', ' ']]);
  });

  it('holds a string or byte body in hand, and nothing else', () => {
    expect(FetchResponse.inHand(fast('x'))).toMatchObject({ status: 200, body: 'x', fields: ['content-type', 'text/plain;charset=UTF-8'] });
    expect(FetchResponse.inHand(fast(null, { status: 204 }))).toMatchObject({ status: 204, body: null, fields: [] });
    expect(FetchResponse.inHand(fast(bytes('b'), { headers: new Headers({ a: '1' }) }))?.headers?.get('a')).toBe('1');
    expect(FetchResponse.inHand(fast(new Blob(['x'])))).toBeUndefined();
    expect(FetchResponse.inHand(platform('x'))).toBeUndefined();
    const used = fast('x');
    void used.body;
    expect(FetchResponse.inHand(used)).toBeUndefined();
  });

  it('counts a body sent from the hand as read, as a server reading a platform body stream would', async () => {
    const sent = fast('sent once');
    expect(FetchResponse.inHand(sent)?.body).toBe('sent once');
    const read = platform('sent once');
    await read.text();
    expect([sent.bodyUsed, sent.body?.locked]).toEqual([read.bodyUsed, read.body?.locked]);
    await expect(sent.text()).rejects.toThrow('Body is unusable: Body has already been read');
    expect(thrown(() => sent.clone())).toEqual(thrown(() => read.clone()));
    expect(FetchResponse.inHand(sent)).toBeUndefined();
    // A response without a body can be sent again and again.
    const empty = fast(null, { status: 204 });
    expect(FetchResponse.inHand(empty)).toBeDefined();
    expect(FetchResponse.inHand(empty)).toBeDefined();
    expect(empty.bodyUsed).toBe(false);
  });

  it('reads each member of init once', () => {
    const reads: string[] = [];
    const init = {
      get headers() {
        reads.push('headers');
        return { a: '1' };
      },
      get status() {
        reads.push('status');
        return 201;
      },
      get statusText() {
        reads.push('statusText');
        return 'Yes';
      },
    };
    const response = fast('x', init);
    expect(reads).toEqual(['headers', 'status', 'statusText']);
    expect(response.statusText).toBe('Yes');
  });
});
