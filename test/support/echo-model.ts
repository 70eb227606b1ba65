/**
 * A model of the `echo` app (CONTRACTS.md §2) for live property tests: generators of valid
 * requests together with the JSON the app must answer them with, of malformed requests together
 * with the status and error code they must be refused with, and of whole connections (valid
 * requests, maybe a malformed one, maybe bytes after it that must never be answered).
 *
 * The model computes what the echo says independently of Seal: the path is percent-decoded here
 * byte by byte, the query and urlencoded forms are read by URLSearchParams, multipart bodies are
 * written from the fields and files they are made of, and hashes come from node:crypto.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ErrorCode, statusOf } from '../../src/http/errors.js';
import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES, MAX_TRAILER_BYTES } from '../../src/http/limits.js';
import { fieldValue, serializeRequest, TCHAR, token, type WireBody, type WireChunk, type WireField } from './request-streams.js';

// --- What the echo answers ------------------------------------------------------------------------

export type FieldMap = Record<string, string[]>;

export interface EchoFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** The echo's JSON, without `client` and `server`, which only the live socket knows. */
export interface EchoModel {
  method: string;
  target: string;
  path: string;
  query: FieldMap;
  version: '1.0' | '1.1';
  headers: [string, string][];
  body: string;
  form: FieldMap | null;
  files: EchoFile[];
  tls: null;
}

export interface ValidRequest {
  kind: 'valid';
  /** The request as sent, one character per byte. */
  wire: string;
  echo: EchoModel;
  /** The connection persists after it (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** `100 Continue` may come before the answer: Expect: 100-continue on 1.1 with body bytes to come. */
  mayContinue: boolean;
}

export interface MalformedRequest {
  kind: 'malformed';
  wire: string;
  /** What is wrong with it, for failure messages. */
  label: string;
  code: ErrorCode;
  status: number;
  /**
   * Found by the parser (in the head or the body), so the error hook sees it. Refusals before the
   * handler (417, CONNECT) and the body limit the handler meets (413) are answered, not reported.
   */
  reported: boolean;
  /** A request cut short by the client's FIN: nothing may follow it. */
  truncated: boolean;
  /** Not answered at all: the FIN came before its head was whole. */
  silent: boolean;
}

export interface ConnectionPlan {
  requests: ValidRequest[];
  malformed: MalformedRequest | null;
  /** Sent last; never answered, since the connection ends before it (garbage or valid requests). */
  tail: string;
}

export type ExpectedAnswer = ValidRequest | MalformedRequest;

/**
 * The answers a connection gets, in order: each valid request's echo up to the first one that
 * does not keep the connection alive; then, if every one did, the malformed request's refusal.
 */
export function expectedAnswers(plan: ConnectionPlan): ExpectedAnswer[] {
  const out: ExpectedAnswer[] = [];
  for (const request of plan.requests) {
    out.push(request);
    if (!request.keepAlive) return out;
  }
  if (plan.malformed !== null && !plan.malformed.silent) out.push(plan.malformed);
  return out;
}

export function wireOf(plan: ConnectionPlan): string {
  return plan.requests.map((r) => r.wire).join('') + (plan.malformed?.wire ?? '') + plan.tail;
}

/** The body of Seal's error responses: the status, its reason and the code, never the client's bytes. */
export const ERROR_BODY = (status: number, code: string): RegExp => new RegExp(`^${status} [A-Za-z -]+: ${code}\\n$`);

// --- Decoding, independently of Seal --------------------------------------------------------------

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * WHATWG URL percent-decode (a "%" without two hex digits stays), then UTF-8 with U+FFFD, BOM
 * kept. `raw` holds one byte per character.
 */
export function decodePath(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const escape = raw.slice(i + 1, i + 3);
    if (raw[i] === '%' && HEX2.test(escape)) {
      bytes.push(parseInt(escape, 16));
      i += 2;
    } else bytes.push(raw.charCodeAt(i));
  }
  return utf8.decode(Uint8Array.from(bytes));
}

/**
 * WHATWG URL §5.1 application/x-www-form-urlencoded parsing over bytes: split on "&" (empty
 * sequences skipped), then on the first "=", "+" as 0x20, percent-decode, UTF-8 decode without BOM;
 * every value a list, blank values kept. `text` holds one byte per character.
 *
 * Checked against URLSearchParams where that is right: Node 20's URLSearchParams reads a string's
 * non-ASCII characters as single bytes when decoding escapes ("%C3©" gives "é" where the standard
 * gives "\uFFFD©", as `new URL("http://x/?%C3%C2%A9").searchParams` does), so only ASCII input is
 * compared. URLSearchParams drops one leading "?" from a string, so one is put there for it to drop.
 */
export function urlencodedFields(text: string): FieldMap {
  const out = Object.create(null) as FieldMap;
  for (const sequence of text.split('&')) {
    if (sequence === '') continue;
    const eq = sequence.indexOf('=');
    const [name, value] = eq < 0 ? [sequence, ''] : [sequence.slice(0, eq), sequence.slice(eq + 1)];
    (out[decodeFormPart(name)] ??= []).push(decodeFormPart(value));
  }
  if (/^[\x00-\x7f]*$/.test(text)) {
    const reference = Object.create(null) as FieldMap;
    for (const [name, value] of new URLSearchParams(`?${text}`)) (reference[name] ??= []).push(value);
    if (JSON.stringify(Object.entries(reference)) !== JSON.stringify(Object.entries(out))) {
      throw new Error(`the model and URLSearchParams disagree on ${JSON.stringify(text)}`);
    }
  }
  return out;
}

function decodeFormPart(bytes: string): string {
  return decodePath(bytes.replaceAll('+', ' '));
}

function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

// --- Generators: small pieces ---------------------------------------------------------------------

const chars = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
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

const extensionField: fc.Arbitrary<WireField> = fc.record({
  name: token(12).filter((n) => !DECIDED.has(n.toLowerCase())),
  value: fieldValue,
  before: ows,
  after: ows,
});

const field = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<WireField> =>
  fc.record({ name, value, before: ows, after: ows });

const hostValue: fc.Arbitrary<string> = fc.oneof(
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

const bytesArb = (maxLength: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('latin1'));

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
