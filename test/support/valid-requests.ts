/**
 * Generators of valid requests to the `echo` app, together with the JSON the app must answer them
 * with (the model is in echo-model.ts), and of their bodies.
 *
 * The echo is computed independently of Seal: the path and the forms are decoded by echo-model.ts,
 * multipart bodies are written from the fields and files they are made of, and hashes come from
 * node:crypto.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES } from '../../src/http/limits.js';
import { decodePath, splitTarget, urlencodedFields, type EchoFile, type FieldMap, type ValidRequest } from './echo-model.js';
import { fieldValue, serializeRequest, TCHAR, token, type WireBody, type WireChunk, type WireField } from './request-streams.js';

// --- Generators: small pieces ---------------------------------------------------------------------

export const chars = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
/** VCHAR but "#": what a request-target may hold (see src/http/chars.ts). */
const TARGET_CHAR = chars(0x21, 0x7e).filter((c) => c !== '#');
const PATH_CHAR = TARGET_CHAR.filter((c) => c !== '?');
const HOST_CHAR = [...chars(0x61, 0x7a), ...chars(0x30, 0x39), '-', '.'];
const HEX_DIGIT = [...chars(0x30, 0x39), ...chars(0x41, 0x46), ...chars(0x61, 0x66)];

const stringOf = (alphabet: fc.Arbitrary<string>, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(alphabet, { minLength, maxLength }).map((a) => a.join(''));

/** Text as its UTF-8 bytes, one character per byte. */
const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** "%XX" of any byte, either case; the UTF-8 escapes of a character; or a "%" that escapes nothing. */
const escape: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...HEX_DIGIT), fc.constantFrom(...HEX_DIGIT)).map(([a, b]) => `%${a}${b}`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).map((c) => encodeURIComponent(c)),
  fc.constantFrom('%', '%%', '%2', '%G0', '%e2%82', '%EF%BB%BF', '%C0%AF', '%ED%A0%80'),
);

const pathSegment = stringOf(fc.oneof({ arbitrary: fc.constantFrom(...PATH_CHAR), weight: 4 }, { arbitrary: escape, weight: 1 }), 0, 8);
const queryText = stringOf(
  fc.oneof(
    { arbitrary: fc.constantFrom(...TARGET_CHAR), weight: 3 },
    { arbitrary: fc.constantFrom('&', '=', '+', '&&', '=='), weight: 2 },
    { arbitrary: escape, weight: 1 },
  ),
  0,
  16,
);

const originTarget: fc.Arbitrary<string> = fc
  .tuple(fc.array(pathSegment, { minLength: 1, maxLength: 4 }), fc.option(queryText, { nil: undefined }))
  .map(([segments, query]) => `/${segments.join('/')}${query === undefined ? '' : `?${query}`}`);

const ows = fc.constantFrom('', '', ' ', '\t', '  ', ' \t ');

const anyCase = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    Array.from(name, (c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
  );

/** Names the model decides the meaning of; random fields never take them. */
const DECIDED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'content-type']);

export const extensionField: fc.Arbitrary<WireField> = fc.record({
  name: token(12).filter((n) => !DECIDED.has(n.toLowerCase())),
  value: fieldValue,
  before: ows,
  after: ows,
});

const field = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<WireField> =>
  fc.record({ name, value, before: ows, after: ows });

export const hostValue: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(stringOf(fc.constantFrom(...HOST_CHAR), 1, 12), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }))
    .map(([host, port]) => (port === undefined ? host : `${host}:${port}`)),
  fc.constantFrom('localhost:8000', '127.0.0.1', '[::1]:8080', 'example.com'),
);

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'HEAD', 'OPTIONS', 'PATCH'];
const validMethod: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...METHODS), weight: 4 },
  // Methods are case-sensitive (RFC 9110 §9.1): only "CONNECT" itself is refused.
  { arbitrary: token(8).filter((m) => m !== 'CONNECT'), weight: 1 },
);

// --- Generators: bodies -----------------------------------------------------------------------------

/** A body: its bytes, the Content-Type it goes with, and the form the echo reads from it. */
interface Payload {
  data: string;
  contentType: string | null;
  form: FieldMap | null;
  files: EchoFile[];
}

export const bytesArb = (maxLength: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('latin1'));

/**
 * Up to `maxLength` pseudo-random bytes, made from a seed (a large uint8Array would be slow to
 * generate and to shrink); shrinks towards short bodies.
 */
const bigBytesArb = (maxLength: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 1, max: maxLength }), fc.integer()).map(([length, seed]) => {
    const out = Buffer.alloc(length);
    let x = seed | 1;
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out.toString('latin1');
  });

const neutralPayload: fc.Arbitrary<Payload> = fc
  .tuple(bytesArb(48), fc.constantFrom(null, null, 'text/plain', 'application/octet-stream', 'application/json; charset=utf-8'))
  .map(([data, contentType]) => ({ data, contentType, form: null, files: [] }));

/** UTF-8 text, other bytes and escapes, with "&", "=" and "+" often: every byte sequence is a form. */
const urlencodedPayload: fc.Arbitrary<Payload> = fc
  .tuple(
    stringOf(
      fc.oneof(
        { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).map(utf8Bytes), weight: 4 },
        { arbitrary: fc.constantFrom('&', '=', '+', '&&', '==', '?'), weight: 2 },
        { arbitrary: escape, weight: 1 },
        // Bytes that need not be UTF-8: the form is read from bytes (WHATWG URL §5.1).
        { arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => String.fromCharCode(b)), weight: 1 },
      ),
      0,
      24,
    ),
    fc.constantFrom('application/x-www-form-urlencoded', 'Application/X-WWW-Form-Urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8'),
  )
  .map(([data, contentType]) => ({ data, contentType, form: urlencodedFields(data), files: [] }));

/** bchars (RFC 2046 §5.1.1) without space. */
const BCHARS = [...chars(0x30, 0x39), ...chars(0x41, 0x5a), ...chars(0x61, 0x7a), ...Array.from("'()+_,-./:=?")];
const TCHAR_SET = new Set(TCHAR);

interface Part {
  name: string;
  file: { filename: string; type: string | null } | null;
  /** The part's bytes, one character per byte. */
  data: string;
}

const partArb: fc.Arbitrary<Part> = fc.oneof(
  fc.record({
    name: token(10),
    file: fc.constant(null),
    data: fc.string({ unit: 'grapheme', maxLength: 12 }).map(utf8Bytes),
  }),
  fc.record({
    name: token(10),
    file: fc.record({
      filename: stringOf(fc.constantFrom(...TCHAR, ' ', '.'), 1, 12),
      type: fc.constantFrom(null, 'text/plain', 'image/PNG', 'application/json; charset=utf-8'),
    }),
    data: bytesArb(40),
  }),
);

/** The essence of a part's Content-Type, lowercased (RFC 7578 §4.4). */
const essenceOf = (type: string): string => type.split(';')[0]!.trim().toLowerCase();

const multipartPayload: fc.Arbitrary<Payload> = fc
  .record({
    boundary: stringOf(fc.constantFrom(...BCHARS), 1, 30),
    quoted: fc.boolean(),
    parts: fc.array(partArb, { minLength: 1, maxLength: 4 }),
    preamble: fc.constantFrom('', '', 'This is the preamble.\r\n'),
    epilogue: fc.constantFrom('', '', '\r\nThis is the epilogue.'),
  })
  .filter(({ boundary, parts }) => parts.every((p) => !`\r\n${p.data}\r\n`.includes(`\r\n--${boundary}`)))
  .map(({ boundary, quoted, parts, preamble, epilogue }) => {
    const needsQuotes = Array.from(boundary).some((c) => !TCHAR_SET.has(c));
    const contentType = `multipart/form-data; boundary=${quoted || needsQuotes ? `"${boundary}"` : boundary}`;
    let data = preamble;
    const form = Object.create(null) as FieldMap;
    const files: EchoFile[] = [];
    for (const part of parts) {
      data += `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
      if (part.file === null) {
        data += `\r\n\r\n${part.data}\r\n`;
        (form[part.name] ??= []).push(Buffer.from(part.data, 'latin1').toString('utf8'));
        continue;
      }
      data += `; filename="${part.file.filename}"\r\n`;
      if (part.file.type !== null) data += `Content-Type: ${part.file.type}\r\n`;
      data += `\r\n${part.data}\r\n`;
      const bytes = Buffer.from(part.data, 'latin1');
      files.push({
        field: part.name,
        filename: part.file.filename,
        contentType: part.file.type === null ? 'application/octet-stream' : essenceOf(part.file.type),
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    }
    data += `--${boundary}--${epilogue}`;
    return { data, contentType, form, files };
  });

const chunkExtension: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(token(6), fc.option(fc.oneof(token(6), stringOf(fc.constantFrom(...TCHAR, ' ', '\\"', '\\\\'), 0, 6).map((s) => `"${s}"`)), { nil: undefined })),
    { maxLength: 2 },
  )
  .map((exts) => exts.map(([name, value]) => `;${name}${value === undefined ? '' : `=${value}`}`).join(''));

/** The payload framed: no body, Content-Length, or chunked at random cut points (1.1 only). */
function framed(payload: Payload, version: '1.0' | '1.1'): fc.Arbitrary<WireBody> {
  const options: fc.Arbitrary<WireBody>[] = [fc.constant<WireBody>({ kind: 'length', data: payload.data })];
  if (payload.data === '') options.push(fc.constant<WireBody>({ kind: 'none' }));
  if (version === '1.1') {
    const chunk = (data: string): fc.Arbitrary<WireChunk> =>
      fc.record({ data: fc.constant(data), zeros: fc.constantFrom(0, 0, 1, 3), upper: fc.boolean(), ext: chunkExtension });
    options.push(
      fc
        .array(fc.nat(), { maxLength: 5 })
        .chain((cuts) => {
          const at = [...new Set(cuts.map((c) => c % Math.max(1, payload.data.length)))].filter((c) => c > 0).sort((a, b) => a - b);
          const pieces = [0, ...at].map((from, i) => payload.data.slice(from, at[i] ?? payload.data.length)).filter((p) => p !== '');
          return fc.record({
            kind: fc.constant('chunked' as const),
            chunks: pieces.length === 0 ? fc.constant<WireChunk[]>([]) : fc.tuple(...pieces.map(chunk)).map((c): WireChunk[] => [...c]),
            lastZeros: fc.constantFrom(0, 0, 2),
            lastExt: chunkExtension,
            trailers: fc.array(extensionField, { maxLength: 2 }),
          });
        }),
    );
  }
  return fc.oneof(...options);
}

// --- Generators: valid requests ---------------------------------------------------------------------

/** Inserts each of `extra` into `fields` at a random place. */
function shuffleIn(fields: WireField[], extra: WireField[], positions: number[]): WireField[] {
  const out = [...fields];
  extra.forEach((f, i) => out.splice((positions[i] ?? 0) % (out.length + 1), 0, f));
  return out;
}

/**
 * One valid request with its echo. `persistent`: true keeps the connection alive, false closes
 * it, undefined either.
 */
export function validRequestArb(persistent?: boolean, bigBodyBytes = 0): fc.Arbitrary<ValidRequest> {
  const big: fc.Arbitrary<Payload> = bigBytesArb(Math.max(1, bigBodyBytes)).map((data) => ({ data, contentType: 'application/octet-stream', form: null, files: [] }));
  return fc
    .record({
      method: validMethod,
      target: originTarget,
      version: fc.constantFrom<'1.0' | '1.1'>('1.1', '1.1', '1.0'),
      keepAlive: persistent === undefined ? fc.boolean() : fc.constant(persistent),
      payload: fc.oneof(
        { arbitrary: neutralPayload, weight: 3 },
        { arbitrary: big, weight: bigBodyBytes > 0 ? 1 : 0 },
        { arbitrary: urlencodedPayload, weight: 1 },
        { arbitrary: multipartPayload, weight: 1 },
      ),
      hostIn10: fc.boolean(),
      expectContinue: fc.constantFrom(false, false, false, true),
    })
    .chain(({ method, target, version, keepAlive, payload, hostIn10, expectContinue }) => {
      // Connection values that keep (or end) the connection, RFC 9112 §9.3.
      const connection: (string | null)[] =
        version === '1.1'
          ? keepAlive ? [null, null, 'keep-alive', 'foo', 'Upgrade'] : ['close', 'Close', 'foo, close', 'close, keep-alive']
          : keepAlive ? ['keep-alive', 'Keep-Alive', 'foo, keep-alive'] : [null, null, 'close', 'foo', 'keep-alive, close'];
      return fc.record({
        emptyLines: fc.constantFrom(0, 0, 0, 1, 2),
        body: framed(payload, version),
        host: version === '1.1' || hostIn10 ? field(anyCase('host'), hostValue).map((f) => [f]) : fc.constant([]),
        connection: fc.constantFrom(...connection),
        connectionName: anyCase('connection'),
        expect: fc.constantFrom('100-continue', '100-Continue'),
        contentTypeName: anyCase('content-type'),
        framingName: fc.tuple(anyCase('content-length'), anyCase('transfer-encoding')),
        framingValue: fc.constantFrom('chunked', 'Chunked', 'CHUNKED'),
        extension: fc.array(extensionField, { maxLength: 5 }),
        positions: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
        ows: fc.array(ows, { minLength: 12, maxLength: 12 }),
      }).map((g): ValidRequest => {
        let n = 0;
        const make = (name: string, value: string): WireField => ({ name, value, before: g.ows[n++]!, after: g.ows[n++]! });
        const decided: WireField[] = [...g.host];
        if (g.body.kind === 'length') decided.push(make(g.framingName[0], String(g.body.data.length)));
        if (g.body.kind === 'chunked') decided.push(make(g.framingName[1], g.framingValue));
        if (g.connection !== null) decided.push(make(g.connectionName, g.connection));
        // An upgrade is reported to the handler and otherwise ignored (RFC 9110 §7.8): still an echo.
        if (g.connection === 'Upgrade') decided.push(make('Upgrade', 'h2c'));
        if (payload.contentType !== null) decided.push(make(g.contentTypeName, payload.contentType));
        if (expectContinue) decided.push(make('Expect', g.expect));
        const fields = shuffleIn(g.extension, decided, g.positions);
        const wire = serializeRequest({ emptyLines: g.emptyLines, method, target, version, fields, body: g.body });
        const { path, query } = splitTarget(target);
        const bodyBytes = Buffer.from(payload.data, 'latin1');
        return {
          kind: 'valid',
          wire,
          keepAlive,
          mayContinue: expectContinue && version === '1.1' && (g.body.kind === 'chunked' || (g.body.kind === 'length' && g.body.data !== '')),
          echo: {
            method,
            target,
            path: decodePath(path),
            query: urlencodedFields(query),
            version,
            headers: fields.map((f) => [f.name, f.value]),
            body: bodyBytes.toString('base64'),
            form: payload.form,
            files: payload.files,
            tls: null,
          },
        };
      });
    });
}

/**
 * A request exactly at a parser limit, or just under it (RFC 9112 §3 and §5 leave the sizes to the
 * server; Seal's are in src/http/limits.ts): a request line of 8 KiB with the empty lines before
 * it, a field section of 16 KiB, or 100 field lines. Kept alive, without a body.
 */
export const limitRequestArb: fc.Arbitrary<ValidRequest> = fc
  .tuple(fc.constantFrom('line', 'section', 'fields'), fc.constantFrom(0, 0, 1, 7), fc.nat({ max: 2 }), fc.constantFrom('GET', 'POST', 'HEAD', 'FOO'))
  .map(([limit, under, emptyLines, method]) => {
    const wire =
      limit === 'line'
        ? sizedHead(method, MAX_REQUEST_LINE_BYTES - under, emptyLines, 0)
        : limit === 'section'
          ? sizedHead(method, 0, emptyLines, MAX_HEADER_BYTES - under)
          : `${'\r\n'.repeat(emptyLines)}${method} / HTTP/1.1\r\nHost: a\r\n${'a:b\r\n'.repeat(MAX_HEADER_FIELDS - 1 - under)}\r\n`;
    const start = 2 * emptyLines;
    const [requestLine = '', ...lines] = wire.slice(start, wire.indexOf('\r\n\r\n', start)).split('\r\n');
    const target = requestLine.split(' ')[1]!;
    return {
      kind: 'valid',
      wire,
      keepAlive: true,
      mayContinue: false,
      echo: {
        method,
        target,
        path: target,
        query: Object.create(null) as FieldMap,
        version: '1.1',
        headers: lines.map((line): [string, string] => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
        body: '',
        form: null,
        files: [],
        tls: null,
      },
    };
  });

/**
 * A request head with a request line of exactly `lineBytes` (its CRLF and `emptyLines` empty lines
 * before it included; 0: a short one) and a field section of exactly `sectionBytes` (field lines
 * and the final CRLF; 0: just Host), padded with "a" in the target and "v" in an X-Pad field.
 */
export function sizedHead(method: string, lineBytes: number, emptyLines: number, sectionBytes: number): string {
  const lineFixed = `${'\r\n'.repeat(emptyLines)}${method} / HTTP/1.1\r\n`;
  const line = lineBytes === 0 ? lineFixed : lineFixed.replace(' / ', ` /${'a'.repeat(lineBytes - lineFixed.length)} `);
  const sectionFixed = 'Host: a\r\nX-Pad: \r\n\r\n';
  const section = sectionBytes === 0 ? 'Host: a\r\n\r\n' : sectionFixed.replace('X-Pad: ', `X-Pad: ${'v'.repeat(sectionBytes - sectionFixed.length)}`);
  return line + section;
}
