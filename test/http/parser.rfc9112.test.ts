/**
 * Conformance of the request parser to RFC 9112 (and the parts of RFC 9110 it enforces), as tables.
 * Every case goes through `replay`: whole, one byte at a time, at random splits, between garbage,
 * and pausing at every event, all of which must agree. In refusal cases the AT marker (⏚) stands
 * where the parser must stop: the error offset is its position, and it is not part of the input.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/http/errors.js';
import type { Fields, RequestHead } from '../../src/http/head.js';
import { RequestParser, type RequestSink } from '../../src/http/parser.js';
import { AT, bytes, expectAccepted, expectOne, expectRefused, text } from '../support/replay.js';

const HOST = 'Host: example.com\r\n';
const get = (fields = HOST, line = 'GET / HTTP/1.1'): string => `${line}\r\n${fields}\r\n`;
const CHUNKED = `POST /upload HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`;

interface Refusal {
  name: string;
  input: string;
  code: ErrorCode;
}

/** Cases refused with 400, each with the code the parser must name. */
function refuses400(cases: Refusal[]): void {
  it.each(cases)('$name → 400', ({ input, code }) => {
    expectRefused(input, code, 400);
  });
}

describe('RFC 9112 §3: request line', () => {
  it('RFC 9112 §3: method SP request-target SP HTTP-version CRLF', () => {
    const { head } = expectOne(get());
    expect(head).toMatchObject({ method: 'GET', target: '/', version: '1.1', fields: [['Host', 'example.com']] });
  });

  it.each([
    ['an extension method', 'M-SEARCH'],
    ['a method of every tchar', "!#$%&'*+-.^_`|~09azAZ"],
    ['a lower-case method, distinct from GET (RFC 9110 §9.1: case-sensitive)', 'get'],
    ['a one-byte method', 'X'],
  ])('RFC 9112 §3.1: method = token: %s', (_, method) => {
    expect(expectOne(get(HOST, `${method} / HTTP/1.1`)).head.method).toBe(method);
  });

  refuses400([
    { name: 'RFC 9112 §3.1: an empty method', input: `${AT} / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    { name: 'RFC 9112 §3.1: a method with a non-tchar', input: `GE${AT}@T / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    { name: 'RFC 9112 §3.1: a method with a non-ASCII byte', input: `GE${AT}\xc9T / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    { name: 'RFC 9112 §3: HTAB instead of SP after the method', input: `GET${AT}\t/ HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    { name: 'RFC 9112 §3: two SP after the method', input: `GET ${AT} / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §3: two SP before the version', input: `GET / ${AT} HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §3: HTAB before the version', input: `GET /${AT}\tHTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §3: no request-target', input: `GET HTTP/1.1${AT}\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §3: no version', input: `GET /${AT}\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §3: a request line of one token', input: `GET${AT}\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
  ]);
});

describe('RFC 9112 §3.2: request-target', () => {
  it.each([
    ['origin-form with a query', 'GET', '/a/b;c?d=e&f=g'],
    ['origin-form with every byte a target may hold', 'GET', `/${Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '#').join('')}`],
    ['absolute-form (§3.2.2)', 'GET', 'http://example.com/a?b'],
    ['absolute-form with a scheme of letters, digits, "+", "-", "." (RFC 3986 §3.1)', 'GET', 'a1+b-c.d://example.com/'],
    ['absolute-form with a port, for POST', 'POST', 'https://example.com:8443/x'],
    ['authority-form for CONNECT (§3.2.3)', 'CONNECT', 'example.com:443'],
    ['authority-form with an IP literal for CONNECT', 'CONNECT', '[::1]:8080'],
    ['asterisk-form for OPTIONS (§3.2.4)', 'OPTIONS', '*'],
  ])('RFC 9112 §3.2: %s', (_, method, target) => {
    expect(expectOne(get(HOST, `${method} ${target} HTTP/1.1`)).head).toMatchObject({ method, target });
  });

  refuses400([
    { name: 'RFC 9112 §3.2: "#" (a fragment is never sent)', input: `GET /a${AT}#b HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    ...[0x00, 0x01, 0x09, 0x0b, 0x1f, 0x7f, 0x80, 0xc3, 0xff].map((b) => ({
      name: `RFC 9112 §3.2: byte 0x${b.toString(16).padStart(2, '0')} in the target`,
      input: `GET /a${AT}${String.fromCharCode(b)}b HTTP/1.1\r\n${HOST}\r\n`,
      code: ErrorCode.INVALID_TARGET,
    })),
    { name: 'RFC 9112 §3.2.3: authority-form without CONNECT', input: `GET 127.0.0.1:80 HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: an IP-literal authority without CONNECT', input: `GET [::1]:80 HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT with origin-form', input: `CONNECT /x HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT without a port', input: `CONNECT example.com HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT with an empty port', input: `CONNECT example.com: HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT without a host', input: `CONNECT :443 HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT with absolute-form', input: `CONNECT http://example.com/ HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.3: CONNECT with two ports', input: `CONNECT a:1:2 HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.4: asterisk-form without OPTIONS', input: `GET * HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.4: "*" followed by more', input: `OPTIONS *x HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2: a target starting with "?"', input: `GET ?a HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.2: a scheme starting with a digit', input: `GET 1http://a/ HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
    { name: 'RFC 9112 §3.2.2: a scheme without ":"', input: `GET http//a/ HTTP/1.1\r\n${HOST}\r\n${AT}`, code: ErrorCode.INVALID_TARGET_FORM },
  ]);
});

describe('RFC 9112 §2.3: HTTP-version', () => {
  it('RFC 9112 §2.3: HTTP/1.1', () => {
    expect(expectOne(get()).head.version).toBe('1.1');
  });
  it('RFC 9112 §2.3: HTTP/1.0, where Host is optional', () => {
    expect(expectOne(get('', 'GET / HTTP/1.0')).head).toMatchObject({ version: '1.0', fields: [] });
  });

  it.each(['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3.0', 'HTTP/9.9'])(
    'RFC 9112 §2.3: a well-formed version we do not speak, %s → 505',
    (version) => {
      // The version is judged once its line is whole: at the LF.
      expectRefused(`GET / ${version}\r${AT}\n${HOST}\r\n`, ErrorCode.UNSUPPORTED_VERSION, 505);
    },
  );

  refuses400([
    { name: 'RFC 9112 §2.3: "HTTP/1.10" (one digit each side)', input: `GET / HTTP/1.1${AT}0\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "HTTP/11"', input: `GET / HTTP/1${AT}1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "http/1.1" (HTTP-name is case-sensitive)', input: `GET / ${AT}http/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "HTTP/1"', input: `GET / HTTP/1${AT}\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "HTTP/a.1"', input: `GET / HTTP/${AT}a.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "HTTP/1.1" followed by a space', input: `GET / HTTP/1.1${AT} \r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.3: "HTTP /1.1"', input: `GET / HTTP${AT} /1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
  ]);
});

describe('RFC 9112 §2.2: message parsing and line endings', () => {
  it('RFC 9112 §2.2: empty lines before the request line are ignored', () => {
    const log = expectAccepted(`\r\n\r\n${get()}\r\n${get(HOST, 'HEAD / HTTP/1.1')}`);
    expect(log.messages.map((m) => m.head.method)).toEqual(['GET', 'HEAD']);
  });

  refuses400([
    { name: 'RFC 9112 §2.2: whitespace before the request line', input: `${AT} GET / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    // Bare LF, position by position: refused everywhere (a deliberate choice, see parser.ts).
    { name: 'RFC 9112 §2.2: bare LF as an empty line before the request', input: `${AT}\n${get()}`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF after an empty CRLF line', input: `\r\n${AT}\n${get()}`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF inside the method', input: `GE${AT}\nT / HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_METHOD },
    { name: 'RFC 9112 §2.2: bare LF inside the target', input: `GET /a${AT}\nb HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §2.2: bare LF inside the version', input: `GET / HTTP/1${AT}\n.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_VERSION },
    { name: 'RFC 9112 §2.2: bare LF ending the request line', input: `GET / HTTP/1.1${AT}\n${HOST}\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF as the first field line', input: `GET / HTTP/1.1\r\n${AT}\n${HOST}\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF inside a field name', input: `GET / HTTP/1.1\r\nHo${AT}\nst: a\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9112 §2.2: bare LF right after the colon', input: `GET / HTTP/1.1\r\nHost:${AT}\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF after OWS', input: `GET / HTTP/1.1\r\nHost: \t${AT}\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF inside a field value', input: `GET / HTTP/1.1\r\nHost: a${AT}\nb\r\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending a field line', input: `GET / HTTP/1.1\r\nHost: a${AT}\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending the field section', input: `GET / HTTP/1.1\r\n${HOST}${AT}\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending a chunk-size line', input: `${CHUNKED}3${AT}\nabc\r\n0\r\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending a chunk extension', input: `${CHUNKED}3;a${AT}\nabc\r\n0\r\n\r\n`, code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §2.2: bare LF after chunk data', input: `${CHUNKED}3\r\nabc${AT}\n0\r\n\r\n`, code: ErrorCode.INVALID_CHUNK_DELIMITER },
    { name: 'RFC 9112 §2.2: bare LF ending the last chunk', input: `${CHUNKED}0${AT}\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending a trailer line', input: `${CHUNKED}0\r\nT: v${AT}\n\r\n`, code: ErrorCode.BARE_LF },
    { name: 'RFC 9112 §2.2: bare LF ending the trailer section', input: `${CHUNKED}0\r\n${AT}\n`, code: ErrorCode.BARE_LF },
    // Bare CR: a CR not followed by LF.
    { name: 'RFC 9112 §2.2: bare CR before the request line', input: `\r${AT}${get()}`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR ending the request line', input: `GET / HTTP/1.1\r${AT}${HOST}\r\n`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR inside a field value', input: `GET / HTTP/1.1\r\nHost: a\r${AT}b\r\n\r\n`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR right after the colon', input: `GET / HTTP/1.1\r\nX:\r${AT}b\r\n${HOST}\r\n`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR inside the target', input: `GET /a${AT}\rb HTTP/1.1\r\n${HOST}\r\n`, code: ErrorCode.INVALID_TARGET },
    { name: 'RFC 9112 §2.2: bare CR inside a field name', input: `GET / HTTP/1.1\r\nHo${AT}\rst: a\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9112 §2.2: bare CR ending the field section', input: `GET / HTTP/1.1\r\n${HOST}\r${AT}X`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR ending a chunk-size line', input: `${CHUNKED}3\r${AT}abc\r\n0\r\n\r\n`, code: ErrorCode.BARE_CR },
    { name: 'RFC 9112 §2.2: bare CR after chunk data', input: `${CHUNKED}3\r\nabc\r${AT}0\r\n\r\n`, code: ErrorCode.INVALID_CHUNK_DELIMITER },
    { name: 'RFC 9112 §2.2: bare CR in the trailer section', input: `${CHUNKED}0\r\nT: v\r${AT}\r\n\r\n`, code: ErrorCode.BARE_CR },
  ]);
});

describe('RFC 9112 §5: field lines', () => {
  it('RFC 9112 §5: OWS before and after a value is not part of it; inner whitespace is', () => {
    const { head } = expectOne(get(`${HOST}A: \t a \t b \t \r\nB:c\r\nC:\r\nD: \t \r\n`));
    expect(head.fields).toEqual([
      ['Host', 'example.com'],
      ['A', 'a \t b'],
      ['B', 'c'],
      ['C', ''],
      ['D', ''],
    ]);
  });

  it('RFC 9110 §5.1: field names are tokens, kept in the case received', () => {
    const name = "!#$%&'*+-.^_`|~09azAZ";
    expect(expectOne(get(`${HOST}${name}: x\r\nX-MiXeD: y\r\n`)).head.fields.slice(1)).toEqual([
      [name, 'x'],
      ['X-MiXeD', 'y'],
    ]);
  });

  it('RFC 9110 §5.5: obs-text (0x80-0xFF) is allowed in values, decoded as latin1', () => {
    const value = '\x80caf\xe9 \xff';
    expect(expectOne(get(`${HOST}X: ${value}\r\n`)).head.fields[1]).toEqual(['X', value]);
  });

  it('RFC 9110 §5.5: every VCHAR, SP and HTAB in a value', () => {
    const value = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join(' \t');
    expect(expectOne(get(`${HOST}X: ${value}\r\n`)).head.fields[1]).toEqual(['X', value]);
  });

  it('RFC 9110 §5.3: repeated fields are all kept, in order', () => {
    expect(expectOne(get(`${HOST}X: 1\r\nY: 2\r\nx: 3\r\n`)).head.fields.slice(1)).toEqual([
      ['X', '1'],
      ['Y', '2'],
      ['x', '3'],
    ]);
  });

  refuses400([
    { name: 'RFC 9112 §5.1: whitespace before the colon', input: `GET / HTTP/1.1\r\nHost${AT} : a\r\n\r\n`, code: ErrorCode.WHITESPACE_BEFORE_COLON },
    { name: 'RFC 9112 §5.1: HTAB before the colon', input: `GET / HTTP/1.1\r\n${HOST}X${AT}\t: a\r\n\r\n`, code: ErrorCode.WHITESPACE_BEFORE_COLON },
    { name: 'RFC 9112 §5.2: obs-fold with SP', input: `GET / HTTP/1.1\r\n${HOST}X: a\r\n${AT} b\r\n\r\n`, code: ErrorCode.OBSOLETE_LINE_FOLDING },
    { name: 'RFC 9112 §5.2: obs-fold with HTAB', input: `GET / HTTP/1.1\r\n${HOST}X: a\r\n${AT}\tb\r\n\r\n`, code: ErrorCode.OBSOLETE_LINE_FOLDING },
    { name: 'RFC 9112 §2.2: whitespace before the first field line', input: `GET / HTTP/1.1\r\n${AT} ${HOST}\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9110 §5.1: an empty field name', input: `GET / HTTP/1.1\r\n${HOST}${AT}: a\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9110 §5.1: a field name with a non-tchar', input: `GET / HTTP/1.1\r\n${HOST}X${AT}@Y: a\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9110 §5.1: a field name with a non-ASCII byte', input: `GET / HTTP/1.1\r\n${HOST}X${AT}\xe9: a\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    { name: 'RFC 9112 §5: a field line without a colon', input: `GET / HTTP/1.1\r\n${HOST}X${AT}\r\n\r\n`, code: ErrorCode.INVALID_HEADER_NAME },
    ...[0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1f, 0x7f].map((b) => ({
      name: `RFC 9110 §5.5: byte 0x${b.toString(16).padStart(2, '0')} in a value`,
      input: `GET / HTTP/1.1\r\n${HOST}X: a${AT}${String.fromCharCode(b)}b\r\n\r\n`,
      code: ErrorCode.INVALID_HEADER_VALUE,
    })),
    { name: 'RFC 9110 §5.5: NUL as the whole value', input: `GET / HTTP/1.1\r\n${HOST}X: ${AT}\x00\r\n\r\n`, code: ErrorCode.INVALID_HEADER_VALUE },
  ]);
});

describe('RFC 9112 §3.2: Host', () => {
  it.each(['example.com', 'example.com:8080', 'EXAMPLE.com', '127.0.0.1:80', '[::1]', '[::1]:443', 'a:', 'xn--bcher-kva.example', "a-b_c~d!$&'()*+,;=%41"])(
    'RFC 9110 §7.2: Host: %s',
    (host) => {
      expect(expectOne(get(`Host: ${host}\r\n`)).head.fields).toEqual([['Host', host]]);
    },
  );

  it('RFC 9110 §7.2: an empty Host (no authority) is allowed', () => {
    expect(expectOne(get('Host:\r\n')).head.fields).toEqual([['Host', '']]);
  });

  it('RFC 9112 §3.2: Host is optional in HTTP/1.0', () => {
    expectOne(get('', 'GET / HTTP/1.0'));
  });

  it('RFC 9112 §3.2: the Host field name in any case', () => {
    expectOne(get('hOST: example.com\r\n'));
  });

  refuses400([
    { name: 'RFC 9112 §3.2: no Host in HTTP/1.1', input: `GET / HTTP/1.1\r\nX: y\r\n\r\n${AT}`, code: ErrorCode.MISSING_HOST },
    { name: 'RFC 9112 §3.2: two Host fields', input: `GET / HTTP/1.1\r\n${HOST}${HOST}\r\n${AT}`, code: ErrorCode.DUPLICATE_HOST },
    { name: 'RFC 9112 §3.2: two Host fields in HTTP/1.0', input: `GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n${AT}`, code: ErrorCode.DUPLICATE_HOST },
    ...['a b', 'a@b', 'user@example.com', 'a/b', 'a?b', '[::1', ':80', 'a:b', 'a:80x', '[::1]x', 'caf\xe9', '"a"',
      'a:1:2', '::', 'a::80', '[::1]:80:80', 'a]', 'a[b', 'a%zz', 'a%4', '[]', '[x]'].map((host) => ({
      name: `RFC 9110 §7.2: Host: ${JSON.stringify(host)}`,
      input: `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n${AT}`,
      code: ErrorCode.INVALID_HOST,
    })),
  ]);
});

describe('RFC 9112 §6.2: Content-Length', () => {
  it('RFC 9112 §6.2: the body is exactly Content-Length bytes', () => {
    const message = expectOne(`POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello`);
    expect(message).toMatchObject({ head: { contentLength: 5, chunked: false }, body: 'hello', trailers: null });
  });

  it('RFC 9112 §6.2: body bytes may be anything, CRLF and NUL included', () => {
    expect(expectOne(`POST / HTTP/1.1\r\n${HOST}Content-Length: 6\r\n\r\n\r\n\x00\xff\r\n`).body).toBe('\r\n\x00\xff\r\n');
  });

  it('RFC 9110 §8.6: leading zeros', () => {
    expect(expectOne(`POST / HTTP/1.1\r\n${HOST}Content-Length: 0003\r\n\r\nabc`).body).toBe('abc');
  });

  it('RFC 9110 §8.6: zero means no body', () => {
    expect(expectOne(`POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`)).toMatchObject({ head: { contentLength: 0 }, body: '' });
  });

  it('RFC 9112 §6.3: no Content-Length and no Transfer-Encoding: no body; the next bytes are the next request', () => {
    const log = expectAccepted(`${get()}${get(HOST, 'DELETE /x HTTP/1.1')}`);
    expect(log.messages.map((m) => [m.head.method, m.body])).toEqual([
      ['GET', ''],
      ['DELETE', ''],
    ]);
  });

  it('RFC 9110 §8.6: identical repeated Content-Length fields', () => {
    expect(expectOne(`POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\ncontent-length: 003\r\n\r\nabc`).body).toBe('abc');
  });

  it('RFC 9110 §8.6: 15 digits are a length (the body never comes: the input ends inside it)', () => {
    const log = expectRefused(`POST / HTTP/1.1\r\n${HOST}Content-Length: 999999999999999\r\n\r\nab${AT}`, ErrorCode.INCOMPLETE_MESSAGE, 400);
    expect(log.messages[0]).toMatchObject({ head: { contentLength: 999999999999999 }, body: 'ab', complete: false });
  });

  refuses400([
    ...['', ' ', '+3', '-3', '0x3', '3 3', '3,3', '3, 3', '3a', '3.0', '1234567890123456', '\xb3'].map((value) => ({
      name: `RFC 9110 §8.6: Content-Length: ${JSON.stringify(value)}`,
      input: `POST / HTTP/1.1\r\n${HOST}Content-Length: ${value}\r\n\r\n${AT}abc`,
      code: ErrorCode.INVALID_CONTENT_LENGTH,
    })),
    { name: 'RFC 9110 §8.6: differing Content-Length fields', input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 4\r\n\r\n${AT}abcd`, code: ErrorCode.CONFLICTING_CONTENT_LENGTH },
  ]);
});

describe('RFC 9112 §6.1: Transfer-Encoding', () => {
  it.each(['chunked', 'Chunked', 'CHUNKED', ', chunked', 'chunked ,'])('RFC 9112 §6.1: Transfer-Encoding: %s', (value) => {
    const message = expectOne(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: ${value}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
    expect(message).toMatchObject({ head: { chunked: true, contentLength: -1 }, body: 'abc' });
  });

  it('RFC 9112 §6.1: a coding we do not implement, before chunked → 501', () => {
    expectRefused(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n${AT}0\r\n\r\n`, ErrorCode.UNSUPPORTED_TRANSFER_CODING, 501);
  });

  it('RFC 9112 §6.1: a coding with parameters, before chunked → 501', () => {
    expectRefused(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: x;a=1;b="c d", chunked\r\n\r\n${AT}0\r\n\r\n`, ErrorCode.UNSUPPORTED_TRANSFER_CODING, 501);
  });

  it('RFC 9110 §5.3: codings across two fields form one list: gzip then chunked → 501', () => {
    expectRefused(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${AT}0\r\n\r\n`, ErrorCode.UNSUPPORTED_TRANSFER_CODING, 501);
  });

  const te = (values: string[], extra = ''): string =>
    `POST / HTTP/1.1\r\n${HOST}${values.map((v) => `Transfer-Encoding: ${v}\r\n`).join('')}${extra}\r\n${AT}0\r\n\r\n`;

  refuses400([
    { name: 'RFC 9112 §6.3: chunked not last (chunked, gzip)', input: te(['chunked, gzip']), code: ErrorCode.CHUNKED_NOT_FINAL },
    { name: 'RFC 9112 §6.3: no chunked at all (gzip)', input: te(['gzip']), code: ErrorCode.CHUNKED_NOT_FINAL },
    { name: 'RFC 9112 §6.1: chunked twice in one field', input: te(['chunked, chunked']), code: ErrorCode.CHUNKED_NOT_FINAL },
    { name: 'RFC 9112 §6.1: chunked in two fields', input: te(['chunked', 'chunked']), code: ErrorCode.CHUNKED_NOT_FINAL },
    { name: 'RFC 9112 §6.3: chunked then gzip across two fields', input: te(['chunked', 'gzip']), code: ErrorCode.CHUNKED_NOT_FINAL },
    { name: 'RFC 9112 §6.3: Transfer-Encoding with Content-Length', input: te(['chunked'], 'Content-Length: 5\r\n'), code: ErrorCode.CONTENT_LENGTH_AND_TRANSFER_ENCODING },
    {
      name: 'RFC 9112 §6.3: Content-Length before Transfer-Encoding',
      input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${AT}0\r\n\r\n`,
      code: ErrorCode.CONTENT_LENGTH_AND_TRANSFER_ENCODING,
    },
    {
      name: 'RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0',
      input: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n${AT}0\r\n\r\n`,
      code: ErrorCode.TRANSFER_ENCODING_IN_HTTP_1_0,
    },
    { name: 'RFC 9112 §6.1: an empty Transfer-Encoding', input: te(['']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
    { name: 'RFC 9112 §6.1: a Transfer-Encoding of only commas', input: te([' , ,']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
    { name: 'RFC 9112 §6.1: chunked with a parameter', input: te(['chunked;a=b']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
    { name: 'RFC 9112 §6.1: a coding that is not a token', input: te(['"chunked"']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
    { name: 'RFC 9112 §6.1: a parameter without a value', input: te(['gzip;a, chunked']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
    { name: 'RFC 9112 §6.1: two codings without a comma', input: te(['gzip chunked']), code: ErrorCode.INVALID_TRANSFER_ENCODING },
  ]);
});

describe('RFC 9112 §7.1: chunked transfer coding', () => {
  const chunked = (body: string): string => `${CHUNKED}${body}`;

  it.each([
    ['lower-case hex sizes', 'a\r\n0123456789\r\n0\r\n\r\n', '0123456789'],
    ['upper-case hex sizes', 'A\r\n0123456789\r\n0\r\n\r\n', '0123456789'],
    ['leading zeros in sizes', '000a\r\n0123456789\r\n0000\r\n\r\n', '0123456789'],
    ['leading zeros beyond 13 digits', '0000000000000000003\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['several chunks', '1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n', 'abcdef'],
    ['only the last chunk (0 CRLF CRLF)', '0\r\n\r\n', ''],
    ['chunk data holding CRLF and "0\\r\\n\\r\\n"', '7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n', '0\r\n\r\n\r\n'],
    ['an extension name', '3;name\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['an extension with a token value', '3;name=value\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['several extensions', '3;a=1;b;c=x\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['a quoted-string extension with escapes', '3;a="q\\"u;o\\\\t=e\\d"\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['a quoted-string extension with HTAB, SP and obs-text', '3;a="\t \x80\xff"\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['an empty quoted-string extension', '3;a=""\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['BWS around ";" and "="', '3 \t; a \t= b ;\tc\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['BWS before a quoted value', '3;a= "b"\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['extensions on the last chunk', '3\r\nabc\r\n0;a=b;c="d"\r\n\r\n', 'abc'],
  ])('RFC 9112 §7.1: %s', (_, body, data) => {
    expect(expectOne(chunked(body))).toMatchObject({ body: data, trailers: null });
  });

  it('RFC 9112 §7.1: a size of 13 hex digits (2^52 - 1) is accepted; the input ends inside its data', () => {
    expectRefused(chunked(`fffffffffffff\r\nab${AT}`), ErrorCode.INCOMPLETE_MESSAGE, 400);
  });

  it('RFC 9112 §7.1.2: trailer fields are delivered, names and values as received', () => {
    const message = expectOne(chunked('3\r\nabc\r\n0\r\nT: v\r\nChecksum: \t abc \r\nT: w\r\n\r\n'));
    expect(message).toMatchObject({ body: 'abc', complete: true, trailers: [['T', 'v'], ['Checksum', 'abc'], ['T', 'w']] });
  });

  it('RFC 9112 §7.1.2: a trailer section of framing field names is delivered as data, not obeyed', () => {
    const message = expectOne(chunked('0\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n'));
    expect(message.trailers).toEqual([
      ['Content-Length', '5'],
      ['Transfer-Encoding', 'gzip'],
    ]);
  });

  refuses400([
    { name: 'RFC 9112 §7.1: a chunk size that is not hex', input: chunked(`${AT}x\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: an empty chunk size', input: chunked(`${AT}\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: a signed chunk size', input: chunked(`${AT}-1\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: a chunk size with "0x"', input: chunked(`0${AT}x3\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: whitespace before the chunk size', input: chunked(`${AT} 3\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: a non-hex byte after the size', input: chunked(`3${AT}g\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_SIZE },
    { name: 'RFC 9112 §7.1: a chunk size of 14 significant hex digits (2^52) overflows', input: chunked(`0001000000000000${AT}0\r\n`), code: ErrorCode.CHUNK_SIZE_TOO_LARGE },
    { name: 'RFC 9112 §7.1: a chunk size of 17 hex digits overflows', input: chunked(`fffffffffffff${AT}ffff\r\n`), code: ErrorCode.CHUNK_SIZE_TOO_LARGE },
    { name: 'RFC 9112 §7.1.1: ";" without an extension name', input: chunked(`3;${AT}\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: "=" without an extension name', input: chunked(`3;${AT}=b\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: "=" without a value', input: chunked(`3;a=${AT}\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: a name with a non-tchar', input: chunked(`3;a${AT}@\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: a token value with a non-tchar', input: chunked(`3;a=b${AT}@\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: two values without ";"', input: chunked(`3;a=b ${AT}c\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: bytes after a quoted value', input: chunked(`3;a="b"${AT}c\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: an unterminated quoted value', input: chunked(`3;a="b${AT}\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: a CTL in a quoted value', input: chunked(`3;a="b${AT}\x01"\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: DEL in a quoted value', input: chunked(`3;a="b${AT}\x7f"\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: a CTL after a backslash', input: chunked(`3;a="b\\${AT}\x00"\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    { name: 'RFC 9112 §7.1.1: a quoted extension name', input: chunked(`3;${AT}"a"\r\nabc\r\n`), code: ErrorCode.INVALID_CHUNK_EXTENSION },
    // BWS is allowed before ";" and "=" (RFC 9112 §7.1.1), never at the end of the line.
    ...['3 ', '3\t', '3;a ', '3;a=b ', '3;a="b" ', '3 ;a\t'].map((line) => ({
      name: `RFC 9112 §7.1.1: whitespace ending the chunk-size line ${JSON.stringify(line)}`,
      input: chunked(`${line}${AT}\r\nabc\r\n`),
      code: ErrorCode.INVALID_CHUNK_EXTENSION,
    })),
    { name: 'RFC 9112 §7.1: chunk data not followed by CRLF', input: chunked(`3\r\nabc${AT}X\r\n0\r\n\r\n`), code: ErrorCode.INVALID_CHUNK_DELIMITER },
    { name: 'RFC 9112 §7.1: chunk data longer than its size', input: chunked(`3\r\nabc${AT}d\r\n0\r\n\r\n`), code: ErrorCode.INVALID_CHUNK_DELIMITER },
    { name: 'RFC 9112 §7.1: CR then not LF after chunk data', input: chunked(`3\r\nabc\r${AT}X0\r\n\r\n`), code: ErrorCode.INVALID_CHUNK_DELIMITER },
    { name: 'RFC 9112 §7.1.2: obs-fold in the trailer section', input: chunked(`0\r\nT: v\r\n${AT} w\r\n\r\n`), code: ErrorCode.OBSOLETE_LINE_FOLDING },
    { name: 'RFC 9112 §7.1.2: whitespace before a trailer colon', input: chunked(`0\r\nT${AT} : v\r\n\r\n`), code: ErrorCode.WHITESPACE_BEFORE_COLON },
    { name: 'RFC 9112 §7.1.2: a CTL in a trailer value', input: chunked(`0\r\nT: ${AT}\x00\r\n\r\n`), code: ErrorCode.INVALID_HEADER_VALUE },
    { name: 'RFC 9112 §7.1.2: a trailer line that is not a field', input: chunked(`0\r\nabc${AT}\r\n\r\n`), code: ErrorCode.INVALID_HEADER_NAME },
  ]);
});

describe('RFC 9112 §9.3: persistence', () => {
  const persists = (version: '1.0' | '1.1', fields: string): boolean =>
    expectOne(get(`${HOST}${fields}`, `GET / HTTP/${version}`)).head.keepAlive;

  it.each([
    ['1.1', '', true],
    ['1.1', 'Connection: close\r\n', false],
    ['1.1', 'Connection: Close\r\n', false],
    ['1.1', 'Connection: CLOSE\r\n', false],
    ['1.1', 'Connection: foo, Close\r\n', false],
    ['1.1', 'Connection: close, foo\r\n', false],
    ['1.1', 'Connection: ,close,\r\n', false],
    ['1.1', 'Connection: foo\r\nConnection: close\r\n', false],
    ['1.1', 'Connection: keep-alive\r\n', true],
    ['1.1', 'Connection: closed\r\n', true],
    ['1.1', 'Connection:\r\n', true],
    ['1.0', '', false],
    ['1.0', 'Connection: keep-alive\r\n', true],
    ['1.0', 'Connection: Keep-Alive\r\n', true],
    ['1.0', 'Connection: foo, keep-alive\r\n', true],
    ['1.0', 'Connection: keep-alive, close\r\n', false],
    ['1.0', 'Connection: close\r\nConnection: keep-alive\r\n', false],
    ['1.0', 'Connection: keep-alives\r\n', false],
  ] as const)('RFC 9112 §9.3: HTTP/%s with %j persists: %s', (version, fields, keepAlive) => {
    expect(persists(version, fields)).toBe(keepAlive);
  });

  it('RFC 9110 §7.6.1: a Connection value that is not a list of tokens → 400', () => {
    expectRefused(get(`${HOST}Connection: clos e\r\n`) + AT, ErrorCode.INVALID_HEADER_VALUE, 400);
  });
});

describe('RFC 9110 §10.1.1: Expect', () => {
  it.each([
    ['100-continue', true, false],
    ['100-Continue', true, false],
    ['foo', false, true],
    ['100-continue-please', false, true],
  ] as const)('RFC 9110 §10.1.1: Expect: %s', (value, expectContinue, unsupportedExpectation) => {
    const { head } = expectOne(`POST / HTTP/1.1\r\n${HOST}Expect: ${value}\r\nContent-Length: 2\r\n\r\nhi`);
    expect(head).toMatchObject({ expectContinue, unsupportedExpectation });
  });

  it('RFC 9110 §10.1.1: no Expect field', () => {
    expect(expectOne(get()).head).toMatchObject({ expectContinue: false, unsupportedExpectation: false });
  });
});

describe('RFC 9110 §7.8: Upgrade', () => {
  it.each([
    ['Connection: Upgrade\r\nUpgrade: websocket\r\n', true],
    ['Connection: keep-alive, upgrade\r\nupgrade: h2c\r\n', true],
    ['Upgrade: websocket\r\n', false],
    ['Connection: upgrade\r\n', false],
  ] as const)('RFC 9110 §7.8: %j → upgrade %s', (fields, upgrade) => {
    expect(expectOne(get(`${HOST}${fields}`)).head.upgrade).toBe(upgrade);
  });
});

describe('RFC 9112 §9.3.2: pipelining', () => {
  it('RFC 9112 §9.3.2: many requests in one chunk', () => {
    const log = expectAccepted(Array.from({ length: 20 }, (_, i) => get(HOST, `GET /${i} HTTP/1.1`)).join(''));
    expect(log.messages.map((m) => m.head.target)).toEqual(Array.from({ length: 20 }, (_, i) => `/${i}`));
  });

  it('RFC 9112 §9.3.2: mixed GET, Content-Length, chunked with trailers and HTTP/1.0 in one chunk', () => {
    const input = [
      get(HOST, 'GET /a HTTP/1.1'),
      `POST /b HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabc`,
      `${CHUNKED}2;x=y\r\nde\r\n1\r\nf\r\n0\r\nT: 1\r\n\r\n`,
      `PUT /c HTTP/1.0\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nGET `,
      '\r\n',
      get(HOST, 'DELETE /d HTTP/1.1'),
    ].join('');
    const log = expectAccepted(input);
    expect(log.messages.map((m) => [m.head.method, m.head.target, m.head.version, m.body, m.trailers])).toEqual([
      ['GET', '/a', '1.1', '', null],
      ['POST', '/b', '1.1', 'abc', null],
      ['POST', '/upload', '1.1', 'def', [['T', '1']]],
      ['PUT', '/c', '1.0', 'GET ', null],
      ['DELETE', '/d', '1.1', '', null],
    ]);
    expect(log.consumed).toBe(input.length);
  });

  it('RFC 9112 §9.3.2: an error in a later request leaves the earlier ones delivered, offset from the stream start', () => {
    const first = `POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabc`;
    const log = expectRefused(`${first}GET / HTTP/1.1\r\nX${AT} : y\r\n\r\n`, ErrorCode.WHITESPACE_BEFORE_COLON, 400);
    expect(log.messages).toHaveLength(1);
    expect(log.messages[0]).toMatchObject({ body: 'abc', complete: true });
  });
});

/** A sink that records events as short strings and pauses where told. */
class ScriptedSink implements RequestSink {
  readonly events: string[] = [];
  readonly heads: RequestHead[] = [];
  trailers: Fields | null = null;
  pauseOn: ReadonlySet<string>;

  constructor(pauseOn: string[] = []) {
    this.pauseOn = new Set(pauseOn);
  }

  onRequestHead(head: RequestHead): boolean {
    this.heads.push(head);
    this.events.push(`head ${head.method} ${head.target}`);
    return this.pauseOn.has('head');
  }
  onBody(buf: Uint8Array, start: number, end: number): boolean {
    this.events.push(`body ${text(buf, start, end)}`);
    return this.pauseOn.has('body');
  }
  onTrailers(fields: Fields): void {
    this.trailers = fields;
    this.events.push(`trailers ${fields.length}`);
  }
  onMessageComplete(): boolean {
    this.events.push('complete');
    return this.pauseOn.has('complete');
  }
}

describe('RFC 9112 §2.2: errors, their offsets and stickiness', () => {
  it('an error records the stream offset where parsing stopped, across execute calls', () => {
    const parser = new RequestParser(new ScriptedSink());
    const input = bytes(`GET / HTTP/1.1\r\n${HOST}X: a\x00b\r\n\r\n`);
    const cut = 20;
    expect(parser.execute(input, 0, cut)).toBe(cut);
    const n = parser.execute(input, cut, input.length);
    const at = text(input).indexOf('\x00');
    expect(n).toBe(at - cut);
    expect(parser.error).toMatchObject({ code: ErrorCode.INVALID_HEADER_VALUE, status: 400, offset: at });
  });

  it('an error is sticky: later input is not consumed and the error stays until reset()', () => {
    const sink = new ScriptedSink();
    const parser = new RequestParser(sink);
    const bad = bytes('GET / HTTP/1.1\r\nHost : a\r\n\r\n');
    parser.execute(bad);
    const error = parser.error;
    expect(error?.code).toBe(ErrorCode.WHITESPACE_BEFORE_COLON);
    expect(parser.execute(bytes(get()))).toBe(0);
    expect(parser.error).toBe(error);
    expect(parser.finish()).toBe(false);
    expect(parser.error).toBe(error);
    expect(sink.events).toEqual([]);

    parser.reset();
    expect(parser.error).toBeNull();
    const good = bytes(get());
    expect(parser.execute(good)).toBe(good.length);
    expect(sink.events).toEqual(['head GET /', 'complete']);
    expect(parser.finish()).toBe(true);
  });

  it('offsets count again from 0 after reset()', () => {
    const parser = new RequestParser(new ScriptedSink());
    parser.execute(bytes(get()));
    parser.reset();
    parser.execute(bytes('GET /\x01'));
    expect(parser.error?.offset).toBe(5);
  });
});

describe('RFC 9112 §8: finish() and incomplete messages', () => {
  const finishAfter = (input: string): { finished: boolean; code: string | undefined; offset: number | undefined } => {
    const parser = new RequestParser(new ScriptedSink());
    const data = bytes(input);
    expect(parser.execute(data)).toBe(data.length);
    const finished = parser.finish();
    return { finished, code: parser.error?.code, offset: parser.error?.offset };
  };

  it.each([
    ['nothing', ''],
    ['a complete request', get()],
    ['two complete requests', get() + get()],
    ['a complete request with a body', `POST / HTTP/1.1\r\n${HOST}Content-Length: 1\r\n\r\nx`],
    ['a complete chunked request', `${CHUNKED}0\r\n\r\n`],
    ['empty lines only', '\r\n\r\n'],
  ])('RFC 9112 §8: the input ends cleanly after %s', (_, input) => {
    expect(finishAfter(input)).toEqual({ finished: true, code: undefined, offset: undefined });
  });

  it.each([
    ['inside the method', 'GE'],
    ['inside the request line', 'GET / HTTP/1.'],
    ['after a CR', '\r'],
    ['inside the head', `GET / HTTP/1.1\r\n${HOST}`],
    ['before the final LF of the head', `GET / HTTP/1.1\r\n${HOST}\r`],
    ['inside a Content-Length body', `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nabc`],
    ['before a Content-Length body', `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\n`],
    ['inside a chunk size line', `${CHUNKED}3;a=`],
    ['inside chunk data', `${CHUNKED}3\r\nab`],
    ['before the CRLF after chunk data', `${CHUNKED}3\r\nabc`],
    ['before the trailer section', `${CHUNKED}0\r\n`],
    ['inside the trailer section', `${CHUNKED}0\r\nT: v\r\n`],
  ])('RFC 9112 §8: the input ends %s → INCOMPLETE_MESSAGE at its end', (_, input) => {
    expect(finishAfter(input)).toEqual({ finished: false, code: ErrorCode.INCOMPLETE_MESSAGE, offset: input.length });
  });
});

describe('pausing through the sink\'s return value', () => {
  const post = `POST /p HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello`;
  const headLength = post.length - 5;

  it('onRequestHead returning true: execute returns at the end of the head; the body comes on the next call', () => {
    const sink = new ScriptedSink(['head']);
    const parser = new RequestParser(sink);
    const input = bytes(post + get());
    expect(parser.execute(input, 0, input.length)).toBe(headLength);
    expect(sink.events).toEqual(['head POST /p']);
    sink.pauseOn = new Set();
    expect(parser.execute(input, headLength, input.length)).toBe(input.length - headLength);
    expect(sink.events).toEqual(['head POST /p', 'body hello', 'complete', 'head GET /', 'complete']);
  });

  it('onBody returning true: execute returns after that piece of body', () => {
    const sink = new ScriptedSink(['body']);
    const parser = new RequestParser(sink);
    const input = bytes(`${CHUNKED}2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n`);
    const first = parser.execute(input);
    expect(text(input, 0, first).endsWith('2\r\nab')).toBe(true);
    expect(sink.events).toEqual(['head POST /upload', 'body ab']);
    const second = parser.execute(input, first);
    expect(text(input, 0, first + second).endsWith('3\r\ncde')).toBe(true);
    expect(parser.execute(input, first + second)).toBe(input.length - first - second);
    expect(sink.events).toEqual(['head POST /upload', 'body ab', 'body cde', 'complete']);
    expect(parser.finish()).toBe(true);
  });

  it('onMessageComplete returning true: execute returns between pipelined requests', () => {
    const sink = new ScriptedSink(['complete']);
    const parser = new RequestParser(sink);
    const one = get(HOST, 'GET /1 HTTP/1.1');
    const input = bytes(one + post + get(HOST, 'GET /3 HTTP/1.1'));
    expect(parser.execute(input)).toBe(one.length);
    expect(parser.execute(input, one.length)).toBe(post.length);
    expect(parser.execute(input, one.length + post.length)).toBe(input.length - one.length - post.length);
    expect(sink.events).toEqual(['head GET /1', 'complete', 'head POST /p', 'body hello', 'complete', 'head GET /3', 'complete']);
  });

  it('a pause at the end of the input consumes everything', () => {
    const sink = new ScriptedSink(['complete']);
    const parser = new RequestParser(sink);
    const input = bytes(get());
    expect(parser.execute(input)).toBe(input.length);
    expect(parser.finish()).toBe(true);
  });
});

describe('RFC 9110 §5: the Fields view', () => {
  it('get, getAll and has ignore case; name(i) and value(i) keep what was received', () => {
    const sink = new ScriptedSink();
    new RequestParser(sink).execute(bytes(get(`${HOST}X-Tag: a\r\nx-tag:  b \r\nAccept: */*\r\n`)));
    const fields = sink.heads[0]!.fields;
    expect(fields.length).toBe(4);
    expect(fields.get('x-TAG')).toBe('a');
    expect(fields.getAll('X-TAG')).toEqual(['a', 'b']);
    expect(fields.has('accept')).toBe(true);
    expect(fields.has('Accept-Encoding')).toBe(false);
    expect(fields.get('missing')).toBeUndefined();
    expect([fields.name(2), fields.value(2)]).toEqual(['x-tag', 'b']);
    expect([...fields]).toEqual(fields.pairs());
  });
});
