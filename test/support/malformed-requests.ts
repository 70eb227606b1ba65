/**
 * Generators of malformed requests to the `echo` app, together with the status and error code they
 * must be refused with, and of whole connections (valid requests, maybe a malformed one, maybe bytes
 * after it that must never be answered). The model is in echo-model.ts.
 */
import fc from 'fast-check';
import { ErrorCode, statusOf } from '../../src/http/errors.js';
import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES, MAX_TRAILER_BYTES } from '../../src/http/limits.js';
import type { ConnectionPlan, MalformedRequest } from './echo-model.js';
import { token } from './request-streams.js';
import { bytesArb, chars, extensionField, hostValue, limitRequestArb, sizedHead, validRequestArb } from './valid-requests.js';

// --- Generators: malformed requests -----------------------------------------------------------------

/** Methods for malformed requests: never HEAD (an error answer to HEAD has no body) nor CONNECT. */
const plainMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'FOO');
const simpleTarget = fc.constantFrom('/', '/a', '/foo/bar?x=1', '/%41?b');
const fieldLines = fc.array(extensionField, { maxLength: 3 }).map((fs) => fs.map((f) => `${f.name}:${f.before}${f.value}${f.after}\r\n`).join(''));

const malformed = (label: string, code: ErrorCode, wire: string, reported = true): MalformedRequest => ({
  kind: 'malformed',
  wire,
  label,
  code,
  status: statusOf(code),
  reported,
  truncated: false,
  silent: false,
});

interface Skeleton {
  method: string;
  target: string;
  before: string;
  after: string;
}

const skeleton: fc.Arbitrary<Skeleton> = fc.record({ method: plainMethod, target: simpleTarget, before: fieldLines, after: fieldLines });

/** Bytes that are neither tchar nor SP, CR or LF. */
const NOT_TOKEN = fc.constantFrom('@', '(', ')', ',', '/', ':', ';', '<', '=', '>', '[', '\\', ']', '{', '}', '"', '\x00', '\x7f', '\x80', '\xff', '\t', '\x01');
/** Bytes a field value may not hold, CR and LF apart (RFC 9110 §5.5). */
const NOT_FIELD_VALUE = fc.constantFrom(...chars(0x00, 0x08), '\x0b', '\x0c', ...chars(0x0e, 0x1f), '\x7f');
/** Bytes a request-target may not hold (SP ends it). */
const NOT_TARGET = fc.constantFrom('#', '\x7f', '\x80', '\xe9', '\xff', '\x00', '\x09', '\x0d', '\x0a', '\x1b');

function head(s: Skeleton, fields: string, line?: string): string {
  return `${line ?? `${s.method} ${s.target} HTTP/1.1`}\r\n${s.before}${fields}${s.after}\r\n`;
}

/** How far past a limit: mostly by one byte, the boundary. */
const overBy = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3000 }));

/** Errors in the request line. */
const requestLineErrors: fc.Arbitrary<MalformedRequest>[] = [
  fc.tuple(skeleton, NOT_TOKEN, fc.nat()).map(([s, bad, at]) => {
    const i = 1 + (at % s.method.length);
    return malformed(`bad byte in method`, ErrorCode.INVALID_METHOD, head(s, 'Host: a\r\n', `${s.method.slice(0, i)}${bad}${s.method.slice(i)} / HTTP/1.1`));
  }),
  fc.tuple(skeleton, NOT_TARGET, fc.nat()).map(([s, bad, at]) => {
    const i = 1 + (at % s.target.length);
    return malformed('bad byte in target', ErrorCode.INVALID_TARGET, head(s, 'Host: a\r\n', `${s.method} ${s.target.slice(0, i)}${bad}${s.target.slice(i)} HTTP/1.1`));
  }),
  fc.tuple(skeleton, fc.constantFrom('http/1.1', 'HTTP/1', 'HTTP/11', 'HTTP/1.x', 'HTTPS/1.1', 'HTTP/1.1.1', 'HTTP/ 1.1', 'HTTP/1.10', 'HTTP/1.1 ', 'HTTP1.1', ''))
    .map(([s, version]) => malformed(`version ${JSON.stringify(version)}`, ErrorCode.INVALID_VERSION, head(s, 'Host: a\r\n', `${s.method} ${s.target} ${version}`))),
  // RFC 9112 §2.3: a well-formed version we do not speak is 505.
  fc.tuple(skeleton, fc.constantFrom('HTTP/2.0', 'HTTP/3.0', 'HTTP/1.2', 'HTTP/1.9', 'HTTP/0.9', 'HTTP/2.1', 'HTTP/9.9'))
    .map(([s, version]) => malformed(`version ${version}`, ErrorCode.UNSUPPORTED_VERSION, head(s, 'Host: a\r\n', `${s.method} ${s.target} ${version}`))),
  // The HTTP/2 connection preface (RFC 9113 §3.4) sent to an HTTP/1.1 server.
  fc.constant(malformed('HTTP/2 preface', ErrorCode.UNSUPPORTED_VERSION, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')),
  fc.tuple(plainMethod, overBy, fc.nat({ max: 2 })).map(([method, over, emptyLines]) => {
    const wire = sizedHead(method, MAX_REQUEST_LINE_BYTES + over, emptyLines, 0);
    return malformed(`request line ${over} byte(s) over the limit`, ErrorCode.REQUEST_LINE_TOO_LONG, wire);
  }),
  skeleton.map((s) => malformed('bare LF after the request line', ErrorCode.BARE_LF, `${s.method} ${s.target} HTTP/1.1\nHost: a\r\n\r\n`)),
  skeleton.map((s) => malformed('bare CR after the request line', ErrorCode.BARE_CR, `${s.method} ${s.target} HTTP/1.1\rHost: a\r\n\r\n`)),
  fc.tuple(skeleton, fc.constantFrom('*', 'foo', 'a.b/c', '1http://x/')).map(([s, target]) =>
    malformed(`target form ${target}`, ErrorCode.INVALID_TARGET_FORM, head(s, 'Host: a\r\n', `${s.method === 'OPTIONS' ? 'GET' : s.method} ${target} HTTP/1.1`)),
  ),
];

/** Errors in the field lines and what they mean. */
const fieldErrors: fc.Arbitrary<MalformedRequest>[] = [
  fc.tuple(skeleton, token(8), fc.constantFrom(' ', '\t', '  ')).map(([s, name, ws]) =>
    malformed('whitespace before colon', ErrorCode.WHITESPACE_BEFORE_COLON, head(s, `Host: a\r\n${name}${ws}: v\r\n`)),
  ),
  fc.tuple(skeleton, fc.constantFrom(' ', '\t')).map(([s, ws]) => malformed('obs-fold', ErrorCode.OBSOLETE_LINE_FOLDING, head(s, `Host: a\r\nX-Folded: a\r\n${ws}b\r\n`))),
  fc.tuple(skeleton, token(6), NOT_TOKEN.filter((c) => c !== '\t' && c !== ':'), fc.constantFrom('', ': v')).map(([s, name, bad, rest]) =>
    malformed('bad byte in field name', ErrorCode.INVALID_HEADER_NAME, head(s, `Host: a\r\n${name}${bad}x${rest}\r\n`)),
  ),
  fc.tuple(skeleton, token(6), NOT_FIELD_VALUE).map(([s, name, bad]) =>
    malformed('control byte in field value', ErrorCode.INVALID_HEADER_VALUE, head(s, `Host: a\r\n${name}: a${bad}b\r\n`)),
  ),
  skeleton.map((s) => malformed('bare LF after a field', ErrorCode.BARE_LF, `${s.method} ${s.target} HTTP/1.1\r\nHost: a\nX: y\r\n\r\n`)),
  skeleton.map((s) => malformed('bare CR after a field', ErrorCode.BARE_CR, `${s.method} ${s.target} HTTP/1.1\r\nHost: a\rX: y\r\n\r\n`)),
  fc.tuple(plainMethod, overBy).map(([method, over]) =>
    malformed(`header section ${over} byte(s) over the limit`, ErrorCode.HEADERS_TOO_LARGE, sizedHead(method, 0, 0, MAX_HEADER_BYTES + over)),
  ),
  fc.tuple(skeleton, fc.integer({ min: 1, max: 20 })).map(([s, extra]) =>
    malformed('too many fields', ErrorCode.TOO_MANY_HEADERS, `${s.method} ${s.target} HTTP/1.1\r\nHost: a\r\n${'a:b\r\n'.repeat(MAX_HEADER_FIELDS + extra)}\r\n`),
  ),
  // RFC 9112 §3.2: no Host, or more than one, in 1.1 → 400.
  skeleton.map((s) => malformed('no Host in 1.1', ErrorCode.MISSING_HOST, head(s, ''))),
  fc.tuple(skeleton, hostValue).map(([s, host]) => malformed('two Host fields', ErrorCode.DUPLICATE_HOST, head(s, `Host: a\r\nhost: ${host}\r\n`))),
  fc.tuple(skeleton, fc.constantFrom('a b', 'a:b', 'a@b', '[zz]', '[::1', ':80', 'a:8o', 'a%zz')).map(([s, host]) =>
    malformed(`Host ${host}`, ErrorCode.INVALID_HOST, head(s, `Host: ${host}\r\n`)),
  ),
  fc.tuple(skeleton, fc.constantFrom('a b', 'close keep-alive', 'close;', '"close"')).map(([s, value]) =>
    malformed(`Connection ${value}`, ErrorCode.INVALID_HEADER_VALUE, head(s, `Host: a\r\nConnection: ${value}\r\n`)),
  ),
  // RFC 9112 §6: framing that cannot be trusted.
  fc.tuple(skeleton, fc.constantFrom('-1', '1x', '', '+5', '5, 5', '0x10', '1 2', '1234567890123456', '\xb3')).map(([s, value]) =>
    malformed(`Content-Length ${JSON.stringify(value)}`, ErrorCode.INVALID_CONTENT_LENGTH, head(s, `Host: a\r\nContent-Length: ${value}\r\n`)),
  ),
  fc.tuple(skeleton, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([s, a, d]) =>
    malformed('two different Content-Lengths', ErrorCode.CONFLICTING_CONTENT_LENGTH, head(s, `Host: a\r\nContent-Length: ${a}\r\nContent-Length: ${a + d}\r\n`) + 'x'.repeat(a)),
  ),
  skeleton.map((s) =>
    malformed('Content-Length and Transfer-Encoding', ErrorCode.CONTENT_LENGTH_AND_TRANSFER_ENCODING, head(s, 'Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n'),
  ),
  skeleton.map((s) =>
    malformed('Transfer-Encoding in 1.0', ErrorCode.TRANSFER_ENCODING_IN_HTTP_1_0, head(s, 'Transfer-Encoding: chunked\r\n', `${s.method} ${s.target} HTTP/1.0`) + '0\r\n\r\n'),
  ),
  fc.tuple(skeleton, fc.constantFrom('chunked, gzip', 'gzip', 'chunked, chunked', 'identity')).map(([s, value]) =>
    malformed(`Transfer-Encoding ${value}`, ErrorCode.CHUNKED_NOT_FINAL, head(s, `Host: a\r\nTransfer-Encoding: ${value}\r\n`)),
  ),
  fc.tuple(skeleton, fc.constantFrom('', ',', 'chunked;q=1', 'gzip;', '"chunked"')).map(([s, value]) =>
    malformed(`Transfer-Encoding ${JSON.stringify(value)}`, ErrorCode.INVALID_TRANSFER_ENCODING, head(s, `Host: a\r\nTransfer-Encoding: ${value}\r\n`)),
  ),
  // RFC 9112 §6.1: a coding the server does not implement → 501.
  fc.tuple(skeleton, fc.constantFrom('gzip, chunked', 'deflate,chunked', 'x-custom, chunked', 'gzip;level=1, chunked')).map(([s, value]) =>
    malformed(`Transfer-Encoding ${value}`, ErrorCode.UNSUPPORTED_TRANSFER_CODING, head(s, `Host: a\r\nTransfer-Encoding: ${value}\r\n`) + '0\r\n\r\n'),
  ),
];

const chunkedHead = (s: Skeleton): string => head(s, 'Host: a\r\nTransfer-Encoding: chunked\r\n');

/** Errors in a chunked body, found after the handler has started: the handler's read fails. */
const bodyErrors: fc.Arbitrary<MalformedRequest>[] = [
  fc.tuple(skeleton, fc.constantFrom('zz', '', '-1', ' 3', '3x', '0x3')).map(([s, size]) =>
    malformed(`chunk size ${JSON.stringify(size)}`, ErrorCode.INVALID_CHUNK_SIZE, `${chunkedHead(s)}3\r\nabc\r\n${size}\r\nabc\r\n0\r\n\r\n`),
  ),
  skeleton.map((s) => malformed('chunk size too large', ErrorCode.CHUNK_SIZE_TOO_LARGE, `${chunkedHead(s)}fffffffffffffff\r\nabc\r\n0\r\n\r\n`)),
  fc.tuple(skeleton, fc.constantFrom('X\r\n', 'x', '\n')).map(([s, after]) =>
    malformed('chunk not followed by CRLF', ErrorCode.INVALID_CHUNK_DELIMITER, `${chunkedHead(s)}3\r\nabc${after}0\r\n\r\n`),
  ),
  fc.tuple(skeleton, fc.constantFrom(';', ';=a', ';a="x', ';a=', ';a b')).map(([s, ext]) =>
    malformed(`chunk extension ${JSON.stringify(ext)}`, ErrorCode.INVALID_CHUNK_EXTENSION, `${chunkedHead(s)}3${ext}\r\nabc\r\n0\r\n\r\n`),
  ),
  skeleton.map((s) => malformed('chunk extension too long', ErrorCode.CHUNK_EXTENSION_TOO_LONG, `${chunkedHead(s)}3;${'e'.repeat(1100)}\r\nabc\r\n0\r\n\r\n`)),
  fc.tuple(skeleton, fc.integer({ min: 1, max: 1000 })).map(([s, extra]) =>
    malformed('trailer section too large', ErrorCode.TRAILERS_TOO_LARGE, `${chunkedHead(s)}0\r\nX-Trailer: ${'t'.repeat(MAX_TRAILER_BYTES + extra)}\r\n\r\n`),
  ),
  skeleton.map((s) => malformed('bad trailer', ErrorCode.WHITESPACE_BEFORE_COLON, `${chunkedHead(s)}1\r\na\r\n0\r\nbad trailer: x\r\n\r\n`)),
  skeleton.map((s) => malformed('bare LF in a chunked body', ErrorCode.BARE_LF, `${chunkedHead(s)}3\nabc\r\n0\r\n\r\n`)),
];

/** Refused before the handler, or by the body limit the handler meets: answered, not reported. */
function refusals(maxBodyBytes: number): fc.Arbitrary<MalformedRequest>[] {
  return [
    // RFC 9110 §10.1.1: an expectation the server cannot meet → 417.
    fc.tuple(skeleton, fc.constantFrom('foo', '100-continuex', '200-ok', 'continue'), fc.boolean()).map(([s, value, body]) =>
      malformed(`Expect ${value}`, ErrorCode.EXPECTATION_FAILED, head(s, `Host: a\r\nExpect: ${value}\r\n${body ? 'Content-Length: 3\r\n' : ''}`) + (body ? 'abc' : ''), false),
    ),
    // RFC 9110 §9.3.6: no tunnels.
    fc.tuple(hostValue.filter((h) => /^[a-z0-9.-]+$/.test(h)), fc.integer({ min: 1, max: 65535 })).map(([host, port]) =>
      malformed('CONNECT', ErrorCode.NOT_IMPLEMENTED, `CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`, false),
    ),
    fc.tuple(skeleton, fc.integer({ min: 1, max: 1000 })).map(([s, extra]) =>
      malformed('declared body over --max-body', ErrorCode.BODY_TOO_LARGE, head(s, `Host: a\r\nContent-Length: ${maxBodyBytes + extra}\r\n`) + 'x'.repeat(maxBodyBytes + extra), false),
    ),
    fc.tuple(skeleton, fc.integer({ min: 1, max: 1000 })).map(([s, extra]) => {
      const data = 'y'.repeat(maxBodyBytes + extra);
      return malformed('chunked body over --max-body', ErrorCode.BODY_TOO_LARGE, `${chunkedHead(s)}${(data.length >> 1).toString(16)}\r\n${data.slice(0, data.length >> 1)}\r\n${(data.length - (data.length >> 1)).toString(16)}\r\n${data.slice(data.length >> 1)}\r\n0\r\n\r\n`, false);
    }),
  ];
}

export function malformedRequestArb(maxBodyBytes: number): fc.Arbitrary<MalformedRequest> {
  return fc.oneof(...requestLineErrors, ...fieldErrors, ...bodyErrors, ...refusals(maxBodyBytes));
}

/**
 * A valid request cut short, then the client's FIN (sendAll always half-closes). Cut in its head,
 * nobody waits for an answer: the connection closes unanswered. Cut in its body, the handler's
 * read fails: 400 INCOMPLETE_MESSAGE. Never HEAD or a 100-continue request, whose answers differ.
 */
const truncatedRequestArb: fc.Arbitrary<MalformedRequest> = fc
  .tuple(validRequestArb().filter((r) => r.echo.method !== 'HEAD' && !r.mayContinue), fc.nat())
  .map(([request, n]) => {
    const wire = request.wire;
    let start = 0;
    while (wire.startsWith('\r\n', start)) start += 2;
    const headEnd = wire.indexOf('\r\n\r\n', start) + 4;
    const cut = n % wire.length;
    const inHead = cut < headEnd;
    return {
      ...malformed(`cut ${inHead ? 'in the head' : 'in the body'} at ${cut} of ${wire.length}, then FIN`, ErrorCode.INCOMPLETE_MESSAGE, wire.slice(0, cut), false),
      truncated: true,
      silent: inHead,
    };
  });

/** Bytes after the end of a connection: garbage, or requests that are valid on their own. */
const tailArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  { arbitrary: validRequestArb().map((r) => r.wire), weight: 1 },
  { arbitrary: fc.constant('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), weight: 1 },
  { arbitrary: bytesArb(30), weight: 1 },
);

/** One connection: 0 to 3 valid requests, maybe a malformed one, maybe bytes after. */
/**
 * `maxBodyBytes`: the server's body limit (some malformed requests cross it). `bigBodyBytes`:
 * when above 0, some valid bodies are that large at most (keep it below maxBodyBytes).
 */
export function connectionPlanArb(maxBodyBytes: number, bigBodyBytes = 0): fc.Arbitrary<ConnectionPlan> {
  return fc
    .record({
      // Now and then a longer pipeline.
      persistent: fc.oneof(
        {
          arbitrary: fc.array(fc.oneof({ arbitrary: validRequestArb(true, bigBodyBytes), weight: 15 }, { arbitrary: limitRequestArb, weight: 1 }), { maxLength: 3 }),
          weight: 6,
        },
        { arbitrary: fc.array(validRequestArb(true), { minLength: 4, maxLength: 16 }), weight: 1 },
      ),
      last: fc.option(validRequestArb(undefined, bigBodyBytes), { nil: undefined, freq: 2 }),
      malformed: fc.option(fc.oneof({ arbitrary: malformedRequestArb(maxBodyBytes), weight: 4 }, { arbitrary: truncatedRequestArb, weight: 1 }), { nil: null, freq: 3 }),
      tail: tailArb,
    })
    .map(({ persistent, last, malformed, tail }) => ({
      requests: last === undefined ? persistent : [...persistent, last],
      malformed,
      // Bytes after the end only make sense once something ends the connection.
      tail: (malformed !== null && !malformed.truncated) || last?.keepAlive === false ? tail : '',
    }));
}
