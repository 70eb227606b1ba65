/**
 * Cookies without a server: parsing the Cookie field (RFC 6265 §4.2.1, §5.4) as browsers send
 * it, and Set-Cookie values (RFC 6265 §4.1.1, RFC 6265bis SameSite, CHIPS Partitioned) that
 * refuse whatever a browser would drop or misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COOKIE_OCTET, parseCookies, serializeCookie, type CookieOptions } from '../../src/http/cookies.js';
import { SealError } from '../../src/http/errors.js';
import { runs } from '../support/runs.js';

const pairs = (header: string | string[]): [string, string][] => parseCookies(header).list.map((c) => [c.name, c.value]);

describe('parseCookies (RFC 6265 §4.2.1, §5.4)', () => {
  it.each<[string, [string, string][]]>([
    ['SID=31d4d96e407aad42', [['SID', '31d4d96e407aad42']]],
    ['SID=31d4d96e407aad42; lang=en-US', [['SID', '31d4d96e407aad42'], ['lang', 'en-US']]],
    // Lenient where browsers and proxies are: no space, extra spaces, tabs, empty pairs.
    ['a=1;b=2', [['a', '1'], ['b', '2']]],
    ['  a = 1 ;\tb=2 ; ', [['a', '1'], ['b', '2']]],
    ['a=1;;; b=2', [['a', '1'], ['b', '2']]],
    ['', []],
    // Quoted values lose their quotes; a lone quote is kept.
    ['a="quoted value"; b="x', [['a', 'quoted value'], ['b', '"x']]],
    ['a=""', [['a', '']]],
    // "=" inside a value belongs to it (base64 padding).
    ['token=YWJj==; x=a=b', [['token', 'YWJj=='], ['x', 'a=b']]],
    // Empty value; no "=" is a cookie with an empty name (RFC 6265bis §5.7.3).
    ['empty=; flag', [['empty', ''], ['', 'flag']]],
    // "," is not a separator in RFC 6265.
    ['a=1,b=2', [['a', '1,b=2']]],
    // Not percent-decoded: the value is given back as it was set.
    ['a=%20x', [['a', '%20x']]],
  ])('%j', (header, expected) => {
    expect(pairs(header)).toEqual(expected);
  });

  it('keeps every pair in order, duplicates too; get() is the first, getAll() all of them', () => {
    const cookies = parseCookies('id=path-specific; theme=dark; id=site-wide');
    expect(cookies.size).toBe(3);
    expect(cookies.get('id')).toBe('path-specific');
    expect(cookies.getAll('id')).toEqual(['path-specific', 'site-wide']);
    expect(cookies.get('theme')).toBe('dark');
    expect(cookies.has('missing')).toBe(false);
    expect(cookies.get('missing')).toBeUndefined();
    expect(cookies.getAll('missing')).toEqual([]);
    expect([...cookies].map((c) => c.name)).toEqual(['id', 'theme', 'id']);
  });

  it('reads several Cookie fields as one list, in order', () => {
    expect(pairs(['a=1; b=2', 'c=3'])).toEqual([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(parseCookies(undefined).size).toBe(0);
    expect(parseCookies([]).size).toBe(0);
  });

  it('decodes UTF-8 sent in a (latin1-decoded) field value, and keeps other bytes as they are', () => {
    const utf8AsLatin1 = Buffer.from('name=café', 'utf8').toString('latin1');
    expect(parseCookies(utf8AsLatin1).get('name')).toBe('café');
    expect(parseCookies('name=caf\xe9').get('name')).toBe('caf\xe9');
  });

  it('is case-sensitive in names', () => {
    const cookies = parseCookies('Session=a; session=b');
    expect(cookies.get('Session')).toBe('a');
    expect(cookies.get('session')).toBe('b');
  });
});

function refused(name: string, value: string, options?: CookieOptions): void {
  expect(() => serializeCookie(name, value, options), `${JSON.stringify(name)}=${JSON.stringify(value)} ${JSON.stringify(options)}`).toThrow(SealError);
}

describe('serializeCookie (RFC 6265 §4.1.1)', () => {
  it('writes name=value alone when no attribute is given', () => {
    expect(serializeCookie('SID', '31d4d96e407aad42')).toBe('SID=31d4d96e407aad42');
    expect(serializeCookie('empty', '')).toBe('empty=');
    expect(serializeCookie('q', '"quoted"')).toBe('q="quoted"');
  });

  it('writes every attribute, in the RFC order', () => {
    const value = serializeCookie('id', 'a3fWa', {
      maxAge: 2592000,
      expires: new Date(Date.UTC(2015, 9, 21, 7, 28, 0)),
      domain: 'example.com',
      path: '/docs',
      secure: true,
      httpOnly: true,
      sameSite: 'None',
      partitioned: true,
    });
    expect(value).toBe('id=a3fWa; Max-Age=2592000; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=example.com; Path=/docs; Secure; HttpOnly; SameSite=None; Partitioned');
  });

  it.each<[CookieOptions, string]>([
    [{ maxAge: 0 }, 'a=b; Max-Age=0'],
    [{ maxAge: -1 }, 'a=b; Max-Age=-1'],
    [{ expires: new Date(0) }, 'a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT'],
    [{ path: '/' }, 'a=b; Path=/'],
    [{ domain: '.example.org' }, 'a=b; Domain=.example.org'],
    [{ domain: '127.0.0.1' }, 'a=b; Domain=127.0.0.1'],
    [{ secure: true }, 'a=b; Secure'],
    [{ httpOnly: true }, 'a=b; HttpOnly'],
    [{ sameSite: 'Strict' }, 'a=b; SameSite=Strict'],
    [{ sameSite: 'Lax' }, 'a=b; SameSite=Lax'],
    [{ secure: false, httpOnly: false, partitioned: false }, 'a=b'],
  ])('%j', (options, expected) => {
    expect(serializeCookie('a', 'b', options)).toBe(expected);
  });

  it('writes Expires as an IMF-fixdate (RFC 9110 §5.6.7)', () => {
    const value = serializeCookie('a', 'b', { expires: new Date(Date.UTC(1994, 10, 6, 8, 49, 37, 999)) });
    expect(value).toBe('a=b; Expires=Sun, 06 Nov 1994 08:49:37 GMT');
  });

  it('refuses a name that is not a token', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'a,b', 'a"b', 'a\r\nb', 'a\0', 'ä', '(x)', 'a/b', 'a\tb']) refused(name, 'v');
  });

  it('refuses a value with CR, LF, ";", ",", space, backslash, a control character or a misplaced DQUOTE', () => {
    for (const value of ['a\r\nSet-Cookie: evil=1', 'a\nb', 'a\rb', 'a;b', 'a,b', 'a b', ' a', 'a\\b', 'a\0b', 'a\x7fb', 'a"b', '"a', 'a"', '"a"b"', 'café', '"a b"']) {
      refused('n', value);
    }
  });

  it('accepts every cookie-octet, bare or between DQUOTEs', () => {
    let octets = '';
    for (let b = 0; b < 256; b++) if (COOKIE_OCTET[b] === 1) octets += String.fromCharCode(b);
    expect(octets.length).toBe(90); // 0x21, 0x23-2B, 0x2D-3A, 0x3C-5B, 0x5D-7E
    expect(serializeCookie('n', octets)).toBe(`n=${octets}`);
    expect(serializeCookie('n', `"${octets}"`)).toBe(`n="${octets}"`);
  });

  it('refuses attributes that would break the field or that browsers reject', () => {
    refused('a', 'b', { path: '/x;Domain=evil' });
    refused('a', 'b', { path: '/x\r\nSet-Cookie: y=1' });
    refused('a', 'b', { path: 'relative' });
    refused('a', 'b', { domain: 'exa mple.com' });
    refused('a', 'b', { domain: 'example.com; Secure' });
    refused('a', 'b', { domain: '' });
    refused('a', 'b', { domain: '-bad.com' });
    refused('a', 'b', { maxAge: 1.5 });
    refused('a', 'b', { maxAge: Number.NaN });
    refused('a', 'b', { maxAge: Number.POSITIVE_INFINITY });
    refused('a', 'b', { expires: new Date(Number.NaN) });
    refused('a', 'b', { expires: new Date(Date.UTC(1600, 0, 1)) });
    refused('a', 'b', { expires: new Date(Date.UTC(10000, 0, 1)) });
    refused('a', 'b', { sameSite: 'lax' as 'Lax' });
    refused('a', 'b', { path: '/' + 'x'.repeat(1024) });
  });

  it('SameSite=None and Partitioned require Secure (RFC 6265bis §5.6.7, CHIPS)', () => {
    refused('a', 'b', { sameSite: 'None' });
    refused('a', 'b', { partitioned: true });
    expect(serializeCookie('a', 'b', { sameSite: 'None', secure: true })).toBe('a=b; Secure; SameSite=None');
    expect(serializeCookie('a', 'b', { partitioned: true, secure: true })).toBe('a=b; Secure; Partitioned');
  });

  it('keeps the promises of the __Secure- and __Host- prefixes (RFC 6265bis §4.1.3)', () => {
    refused('__Secure-id', 'b');
    expect(serializeCookie('__Secure-id', 'b', { secure: true })).toBe('__Secure-id=b; Secure');
    refused('__Host-id', 'b', { secure: true });
    refused('__Host-id', 'b', { secure: true, path: '/', domain: 'example.com' });
    refused('__Host-id', 'b', { path: '/' });
    expect(serializeCookie('__Host-id', 'b', { secure: true, path: '/' })).toBe('__Host-id=b; Path=/; Secure');
  });

  it('refuses a name and value longer than 4096 bytes together', () => {
    expect(serializeCookie('n', 'v'.repeat(4095))).toHaveLength(4097);
    refused('n', 'v'.repeat(4096));
  });

  it('round-trips: every name and value it accepts parses back to itself', () => {
    const tchar = fc.constantFrom(...Array.from("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    const octet = fc.constantFrom(...Array.from({ length: 256 }, (_, b) => b).filter((b) => COOKIE_OCTET[b] === 1).map((b) => String.fromCharCode(b)));
    const cookie = fc.record({
      name: fc.array(tchar, { minLength: 1, maxLength: 12 }).map((chars) => chars.join('')),
      value: fc.array(octet, { maxLength: 24 }).map((chars) => chars.join('')),
    });
    fc.assert(
      fc.property(fc.array(cookie, { minLength: 1, maxLength: 6 }), (cookies) => {
        // A browser sends back name=value only, joined by "; ".
        const header = cookies.map(({ name, value }) => serializeCookie(name, value, { path: '/', httpOnly: true }).split(';')[0]).join('; ');
        expect(pairs(header)).toEqual(cookies.map(({ name, value }) => [name, value]));
      }),
      { numRuns: runs(300) },
    );
  });

  it('never produces a CR, LF or NUL, whatever it is given: it throws instead', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (name, value, path) => {
        let out: string;
        try {
          out = serializeCookie(name, value, { path: `/${path}` });
        } catch (error) {
          expect(error).toBeInstanceOf(SealError);
          return;
        }
        expect(out).not.toMatch(/[\r\n\0]/);
        expect(out.startsWith(`${name}=${value}; Path=/`)).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });
});
