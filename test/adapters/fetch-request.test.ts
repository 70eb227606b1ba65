/**
 * The request side of the fetch adapter, without sockets: the URL `requestUrl` builds is what
 * `new URL()` serializes (joined strings where that is safe, parsed otherwise), methods are
 * normalized as `new Request()` does, and the fields become a Headers object as the Headers class
 * joins them, Cookie with "; ".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headersOf } from '../../src/adapters/fetch-request.js';
import { fetchMethod, requestUrl } from '../../src/adapters/fetch-url.js';
import { SealError } from '../../src/http/errors.js';
import { Fields } from '../../src/http/head.js';
import type { Request as SealRequest } from '../../src/http/request.js';

/** Seal's Fields over `name:value` bytes, as the parser leaves them (garbage after the end). */
function fieldsOf(pairs: [string, string][]): Fields {
  let text = '';
  const offsets: number[] = [];
  for (const [name, value] of pairs) {
    offsets.push(text.length, text.length + name.length, text.length + name.length + 1, text.length + name.length + 1 + value.length);
    text += `${name}:${value}\r\n`;
  }
  return new Fields(Buffer.from(text + 'garbage', 'latin1'), offsets);
}

/** Just what requestUrl and headersOf read from a Seal request. */
function sealRequest(target: string, fields: [string, string][], tls = false): SealRequest {
  const view = fieldsOf(fields);
  const tlsInfo = tls ? { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', bits: 128, alpn: 'http/1.1' } : null;
  return { target, headers: view, tls: tlsInfo, protocol: tls ? 'https' : 'http', server: { address: '127.0.0.1', port: 8000, family: 'IPv4' } } as unknown as SealRequest;
}

function expected(scheme: string, host: string, target: string): string {
  return new URL(target.startsWith('/') ? `${scheme}://${host}${target}` : target).href;
}

const HOSTS = [
  'localhost', 'localhost:8000', 'example.com', 'a.b-c_d.example', 'example.com.', '127.0.0.1', '127.0.0.1:3000',
  '10.0.0.255:65535', 'Example.COM', 'example.com:80', 'example.com:443', 'example.com:0080', 'example.com:1',
  '1.2.3', '0x7f.1', '127.1', '300.1.1.1', '[::1]', '[::1]:8443', '[0:0::1]', 'xn--bcher-kva.example', 'host!$&\'()*+,;=',
  'a.1a', '3com.net', 'x.y.z:59999', 'x.y.z:60001', 'h%41', '_dmarc.example',
];
const TARGETS = [
  '/', '/a/b?c=d&e', '/hello%20world', '/%7Euser', '/caf%C3%A9', '/a/./b', '/a/../b', '/a/%2e%2E/b', '/a/%2e/b', '/a/...',
  '/a/.../b', '/..', '/.', '/a?x=/../y', '/a?q="x"', "/a?it's", "/it's", '/a<b>', '/a`b', '/a{b}', '/a\\b', '/a?x=\\y',
  '/a|b^c', '/a?b|c^d', '/a%', '/a%zz', '/?', '/a?', '/a??b', '/a;p=1', '/~!$&()*+,;=:@', '//double', '/a//b',
  'http://other.example/path?q', 'HTTP://Other.Example:80/x', 'https://secure.example/', 'http://h',
];

describe('requestUrl', () => {
  for (const scheme of ['http', 'https']) {
    it(`is new URL()'s serialization for every host and target (${scheme})`, () => {
      for (const host of HOSTS) {
        for (const target of TARGETS) {
          const request = sealRequest(target, [['Host', host]], scheme === 'https');
          let want: string | Error;
          try {
            want = expected(scheme, host, target);
          } catch (error) {
            want = error as Error;
          }
          if (want instanceof Error) expect(() => requestUrl(request), `${host} ${target}`).toThrow(SealError);
          else expect(requestUrl(request), `${host} ${target}`).toBe(want);
        }
      }
    });
  }

  it('is new URL() for random origin-form targets and reg-name hosts', () => {
    const targetChar = fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@/?%"<>\\^`{|}'.split(''));
    const target = fc.array(targetChar, { maxLength: 24 }).map((cs) => '/' + cs.join(''));
    const hostChar = fc.constantFrom(...'abzAZ09-_.'.split(''));
    const host = fc.tuple(fc.array(hostChar, { minLength: 1, maxLength: 12 }), fc.option(fc.integer({ min: 0, max: 70000 })));
    fc.assert(
      fc.property(target, host, fc.boolean(), (t, [chars, port], tls) => {
        const authority = chars.join('') + (port === null ? '' : `:${port}`);
        const scheme = tls ? 'https' : 'http';
        let want: string | undefined;
        try {
          want = expected(scheme, authority, t);
        } catch {
          want = undefined;
        }
        const request = sealRequest(t, [['host', authority]], tls);
        if (want === undefined) expect(() => requestUrl(request)).toThrow(SealError);
        else expect(requestUrl(request)).toBe(want);
      }),
      { numRuns: 3000 * Number(process.env.SEAL_FUZZ_SCALE ?? 1) },
    );
  });

  it('uses the server address when an HTTP/1.0 request names no host', () => {
    expect(requestUrl(sealRequest('/x', []))).toBe('http://127.0.0.1:8000/x');
  });

  it('refuses targets that are no URL (asterisk-form, authority-form) with 400', () => {
    for (const target of ['*', 'example.com:443']) {
      const error = (() => {
        try {
          requestUrl(sealRequest(target, [['Host', 'h']]));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(SealError);
      expect((error as SealError).status).toBe(400);
    }
  });
});

describe('fetchMethod', () => {
  it('normalizes as new Request() does', () => {
    for (const method of ['GET', 'get', 'Post', 'put', 'delete', 'options', 'head', 'PATCH', 'PROPFIND', 'mkcol', 'M-SEARCH']) {
      expect(fetchMethod(method), method).toBe(new Request('http://x/', { method }).method);
    }
  });
});

describe('headersOf', () => {
  it('appends every field in order, as Headers joins them; Cookie with "; "; Set-Cookie kept apart', () => {
    const fields: [string, string][] = [
      ['Host', 'example.com'],
      ['Accept', 'text/html'],
      ['Cookie', 'a=1'],
      ['X-Multi', 'one'],
      ['accept', 'application/json'],
      ['cookie', 'b=2; c=3'],
      ['X-Multi', 'two'],
      ['Set-Cookie', 's=1'],
      ['set-cookie', 't=2'],
      ['X-Latin', 'caf\u00e9'],
    ];
    const headers = headersOf(sealRequest('/', fields));
    expect(headers.get('accept')).toBe('text/html, application/json');
    expect(headers.get('cookie')).toBe('a=1; b=2; c=3');
    expect(headers.get('x-multi')).toBe('one, two');
    expect(headers.getSetCookie()).toEqual(['s=1', 't=2']);
    expect(headers.get('x-latin')).toBe('caf\u00e9');
    expect([...headers.keys()]).toEqual(['accept', 'cookie', 'host', 'set-cookie', 'set-cookie', 'x-latin', 'x-multi']);
  });
});
