/**
 * Valid HTTP/1.1 request streams for property tests: a model of what each request means, the
 * wire choices that must not change that meaning (OWS around values, hex case and leading zeros of
 * chunk sizes, chunk extensions, empty lines before a request), a serializer, and the parse log
 * the model predicts.
 */
import fc from 'fast-check';
import type { HeadSummary, MessageLog, ParseLog } from './replay.js';

export interface WireField {
  name: string;
  /** The value as the parser must report it: no leading or trailing SP/HTAB. */
  value: string;
  /** OWS written before and after the value. */
  before: string;
  after: string;
}

export interface WireChunk {
  data: string;
  /** Leading zeros written before the size. */
  zeros: number;
  upper: boolean;
  /** chunk-ext, written verbatim after the size. */
  ext: string;
}

export type WireBody =
  | { kind: 'none' }
  | { kind: 'length'; data: string }
  | { kind: 'chunked'; chunks: WireChunk[]; lastZeros: number; lastExt: string; trailers: WireField[] };

export interface WireRequest {
  /** Empty lines (CRLF) before the request line (RFC 9112 §2.2). */
  emptyLines: number;
  method: string;
  target: string;
  version: '1.0' | '1.1';
  /** Every field line in order, framing fields (Host, Content-Length, Transfer-Encoding) included. */
  fields: WireField[];
  body: WireBody;
}

// --- Serializer --------------------------------------------------------------------------------

function fieldLines(fields: readonly WireField[]): string {
  return fields.map((f) => `${f.name}:${f.before}${f.value}${f.after}\r\n`).join('');
}

function chunkSize(size: number, zeros: number, upper: boolean): string {
  const hex = size.toString(16);
  return '0'.repeat(zeros) + (upper ? hex.toUpperCase() : hex);
}

export function serializeRequest(request: WireRequest): string {
  let out = '\r\n'.repeat(request.emptyLines);
  out += `${request.method} ${request.target} HTTP/${request.version}\r\n${fieldLines(request.fields)}\r\n`;
  const body = request.body;
  if (body.kind === 'length') out += body.data;
  else if (body.kind === 'chunked') {
    for (const c of body.chunks) out += `${chunkSize(c.data.length, c.zeros, c.upper)}${c.ext}\r\n${c.data}\r\n`;
    out += `${'0'.repeat(1 + body.lastZeros)}${body.lastExt}\r\n${fieldLines(body.trailers)}\r\n`;
  }
  return out;
}

export function serializeStream(requests: readonly WireRequest[]): string {
  return requests.map(serializeRequest).join('');
}

/**
 * Writes a parse log back as a canonical request stream: no OWS, no empty lines, a chunked body as
 * one chunk (if any bytes) without extensions. Parsing it must give the same log again.
 */
export function serializeLog(log: ParseLog): string {
  let out = '';
  for (const { head, body, trailers } of log.messages) {
    out += `${head.method} ${head.target} HTTP/${head.version}\r\n`;
    out += head.fields.map(([name, value]) => `${name}:${value}\r\n`).join('');
    out += '\r\n';
    if (!head.chunked) out += body;
    else {
      if (body.length > 0) out += `${body.length.toString(16)}\r\n${body}\r\n`;
      out += `0\r\n${(trailers ?? []).map(([name, value]) => `${name}:${value}\r\n`).join('')}\r\n`;
    }
  }
  return out;
}

// --- What the parser must report ---------------------------------------------------------------

function tokensOf(fields: readonly WireField[], name: string): string[] {
  return fields
    .filter((f) => f.name.toLowerCase() === name)
    .flatMap((f) => f.value.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

export function expectedMessage(request: WireRequest): MessageLog {
  const { body, fields } = request;
  const connection = tokensOf(fields, 'connection');
  const expect = fields.filter((f) => f.name.toLowerCase() === 'expect').map((f) => f.value.toLowerCase());
  const head: HeadSummary = {
    method: request.method,
    target: request.target,
    version: request.version,
    fields: fields.map((f) => [f.name, f.value]),
    contentLength: body.kind === 'chunked' ? -1 : body.kind === 'length' ? body.data.length : 0,
    chunked: body.kind === 'chunked',
    // RFC 9112 §9.3: "close" wins; else 1.1 persists, and 1.0 only with "keep-alive".
    keepAlive: !connection.includes('close') && (request.version === '1.1' || connection.includes('keep-alive')),
    expectContinue: expect.includes('100-continue'),
    unsupportedExpectation: expect.some((e) => e !== '100-continue'),
    upgrade: false,
  };
  return {
    head,
    body: body.kind === 'length' ? body.data : body.kind === 'chunked' ? body.chunks.map((c) => c.data).join('') : '',
    trailers: body.kind === 'chunked' && body.trailers.length > 0 ? body.trailers.map((f) => [f.name, f.value]) : null,
    complete: true,
  };
}

export function expectedLog(requests: readonly WireRequest[]): ParseLog {
  return {
    messages: requests.map(expectedMessage),
    error: null,
    consumed: serializeStream(requests).length,
    finished: true,
  };
}

// --- Generators ----------------------------------------------------------------------------------

const chars = (codes: Iterable<number>): string[] => Array.from(codes, (c) => String.fromCharCode(c));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const ALPHA = chars([...range(0x41, 0x5a), ...range(0x61, 0x7a)]);
const DIGIT = chars(range(0x30, 0x39));
/** tchar, RFC 9110 §5.6.2 */
export const TCHAR = [...ALPHA, ...DIGIT, ...Array.from("!#$%&'*+-.^_`|~")];
/** What Seal accepts in a request-target: VCHAR except "#" (see chars.ts). */
const TARGET_CHAR = chars(range(0x21, 0x7e).filter((c) => c !== 0x23));
/** field-vchar = VCHAR / obs-text */
const FIELD_VCHAR = chars([...range(0x21, 0x7e), ...range(0x80, 0xff)]);
/** qdtext and what may follow a backslash in a quoted-string (RFC 9110 §5.6.4). */
const QDTEXT = chars([0x09, 0x20, 0x21, ...range(0x23, 0x5b), ...range(0x5d, 0x7e), ...range(0x80, 0xff)]);
const QUOTED_PAIR = chars([0x09, 0x20, ...range(0x21, 0x7e), ...range(0x80, 0xff)]);
const HOST_CHAR = [...ALPHA.slice(26), ...DIGIT, '-', '.'];

const stringOf = (alphabet: readonly string[], minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength, maxLength }).map((a) => a.join(''));

export const token = (maxLength = 10): fc.Arbitrary<string> => stringOf(TCHAR, 1, maxLength);

/** Names whose meaning the model decides; random fields never take them. */
const FRAMING_NAMES = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer']);

const ows = fc.constantFrom('', '', ' ', '\t', '  ', ' \t ');

/** field-value = *field-content, without leading or trailing whitespace, with obs-text and inner SP/HTAB. */
const fieldVchar = fc.constantFrom(...FIELD_VCHAR);
export const fieldValue: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fieldVchar,
  fc
    .tuple(fieldVchar, fc.array(fc.oneof({ arbitrary: fieldVchar, weight: 3 }, { arbitrary: fc.constantFrom(' ', '\t'), weight: 1 }), { maxLength: 16 }), fieldVchar)
    .map(([first, middle, last]) => first + middle.join('') + last),
);

const extensionField: fc.Arbitrary<WireField> = fc.record({
  name: token(12).filter((n) => !FRAMING_NAMES.has(n.toLowerCase())),
  value: fieldValue,
  before: ows,
  after: ows,
});

const plain = (name: string, value: string): fc.Arbitrary<WireField> =>
  fc.record({ name: fc.constant(name), value: fc.constant(value), before: ows, after: ows });

/** A name in random case: field names are case-insensitive. */
const anyCase = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    Array.from(name, (c, i) => (upper[i] ? c.toUpperCase() : c)).join(''),
  );

const hostValue = fc.oneof(
  fc.tuple(stringOf(HOST_CHAR, 1, 12), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined })).map(([h, port]) => (port === undefined ? h : `${h}:${port}`)),
  fc.constantFrom('[::1]', '[::1]:8080', '127.0.0.1:80'),
);

export interface StreamOptions {
  /**
   * Keep to what llhttp parses the same way (see each use): its methods but CONNECT, absolute
   * targets as "alpha-scheme://host/path", no BWS in chunk extensions, no OWS after framing values.
   */
  llhttp?: { methods: readonly string[] };
}

const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];

function methodArb(options: StreamOptions): fc.Arbitrary<string> {
  // llhttp refuses extension methods, and treats what follows a CONNECT head as tunnel data.
  if (options.llhttp) return fc.constantFrom(...options.llhttp.methods.filter((m) => m !== 'CONNECT'));
  return fc.oneof(fc.constantFrom(...KNOWN_METHODS, 'CONNECT'), token(8));
}

const originForm = fc
  .tuple(stringOf(TARGET_CHAR.filter((c) => c !== '?'), 0, 16), fc.option(stringOf(TARGET_CHAR, 0, 12), { nil: undefined }))
  .map(([path, query]) => `/${path}${query === undefined ? '' : `?${query}`}`);

function targetArb(method: string, options: StreamOptions): fc.Arbitrary<string> {
  if (method === 'CONNECT') return hostValue.map((h) => (/:\d+$/.test(h) ? h : `${h}:443`));
  // llhttp refuses schemes with digits, "+", "-" or ".", and absolute URIs without "//".
  const scheme = options.llhttp
    ? stringOf(ALPHA, 1, 6)
    : fc.tuple(fc.constantFrom(...ALPHA), stringOf([...ALPHA, ...DIGIT, '+', '-', '.'], 0, 6)).map(([a, b]) => a + b);
  const absoluteForm = fc.tuple(scheme, stringOf(HOST_CHAR, 1, 10), originForm).map(([s, h, o]) => `${s}://${h}${o}`);
  const forms = [originForm, originForm, absoluteForm];
  if (method === 'OPTIONS') forms.push(fc.constant('*'));
  return fc.oneof(...forms);
}

const chunkExtension = (options: StreamOptions): fc.Arbitrary<string> => {
  // llhttp in strict mode refuses BWS anywhere in a chunk-size line, which RFC 9112 §7.1.1 allows.
  const bws = options.llhttp ? fc.constant('') : fc.constantFrom('', '', ' ', '\t');
  const quoted = fc
    .array(fc.oneof(fc.constantFrom(...QDTEXT), fc.constantFrom(...QUOTED_PAIR).map((c) => `\\${c}`)), { maxLength: 8 })
    .map((parts) => `"${parts.join('')}"`);
  const one = fc
    .tuple(bws, bws, token(6), fc.option(fc.tuple(bws, bws, fc.oneof(token(6), quoted)), { nil: undefined }))
    .map(([b1, b2, name, value]) => `${b1};${b2}${name}${value === undefined ? '' : `${value[0]}=${value[1]}${value[2]}`}`);
  return fc.array(one, { maxLength: 2 }).map((exts) => exts.join(''));
};

const bodyData = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength, maxLength }).map((b) => String.fromCharCode(...b));

function bodyArb(version: '1.0' | '1.1', options: StreamOptions): fc.Arbitrary<WireBody> {
  const none = fc.constant<WireBody>({ kind: 'none' });
  const length = bodyData(0, 40).map((data): WireBody => ({ kind: 'length', data }));
  if (version === '1.0') return fc.oneof(none, length);
  const chunk = fc.record({ data: bodyData(1, 24), zeros: fc.integer({ min: 0, max: 3 }), upper: fc.boolean(), ext: chunkExtension(options) });
  const chunked = fc
    .record({
      chunks: fc.array(chunk, { maxLength: 4 }),
      lastZeros: fc.integer({ min: 0, max: 2 }),
      lastExt: chunkExtension(options),
      trailers: fc.array(extensionField, { maxLength: 3 }),
    })
    .map((b): WireBody => ({ kind: 'chunked', ...b }));
  return fc.oneof(none, length, chunked);
}

/** Inserts `extra` into `fields` at random positions. */
function shuffleIn(fields: fc.Arbitrary<WireField[]>, extra: fc.Arbitrary<WireField>[]): fc.Arbitrary<WireField[]> {
  return fc.tuple(fields, fc.tuple(...extra), fc.array(fc.nat(), { minLength: extra.length, maxLength: extra.length })).map(([base, added, positions]) => {
    const out = [...base];
    added.forEach((field, i) => out.splice(positions[i]! % (out.length + 1), 0, field));
    return out;
  });
}

/** One valid request; `persistent` requests keep the connection alive (llhttp refuses data after one that does not). */
export function requestArb(options: StreamOptions = {}, persistent = false): fc.Arbitrary<WireRequest> {
  const versions = fc.constantFrom<'1.0' | '1.1'>('1.1', '1.1', '1.0');
  return fc.tuple(methodArb(options), versions, fc.boolean()).chain(([method, version, hostIn10]) =>
    fc.tuple(targetArb(method, options), bodyArb(version, options)).chain(([target, body]) => {
      // llhttp does not recognize a framing or connection value followed by OWS ("chunked\t",
      // "5 ", "keep-alive\t"), though it trims the value it reports; RFC 9110 §5.5 excludes that
      // OWS from the value, and Seal reads the value without it. So llhttp gets none there.
      const framingField = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<WireField> =>
        fc.record({ name, value, before: ows, after: options.llhttp ? fc.constant('') : ows });
      const framing: fc.Arbitrary<WireField>[] = [];
      // RFC 9112 §3.2: Host is required in 1.1 and optional in 1.0.
      if (version === '1.1' || hostIn10) framing.push(fc.record({ name: anyCase('host'), value: hostValue, before: ows, after: ows }));
      if (body.kind === 'length') framing.push(framingField(anyCase('content-length'), fc.constant(String(body.data.length))));
      if (body.kind === 'chunked') framing.push(framingField(anyCase('transfer-encoding'), fc.constantFrom('chunked', 'Chunked')));
      const connectionField = (value: string): fc.Arbitrary<WireField> => framingField(fc.constant('Connection'), fc.constant(value));
      if (persistent && version === '1.0') framing.push(connectionField('keep-alive'));
      // llhttp lets "keep-alive" win over "close" in 1.0 where RFC 9112 §9.3 says "close" wins,
      // so a request never carries both.
      const connection = persistent ? ['keep-alive', 'foo', 'Keep-Alive, foo'] : version === '1.0' ? ['close', 'Close', 'foo, close', 'foo'] : ['close', 'Close', 'foo, close', 'keep-alive', 'foo'];
      const optional = fc.oneof(
        fc.constant<WireField[]>([]),
        fc.constantFrom(...connection).chain((value) => connectionField(value).map((f) => [f])),
        fc.constantFrom('100-continue', '100-Continue').chain((value) => plain('Expect', value).map((f) => [f])),
      );
      const fields = fc.tuple(fc.array(extensionField, { maxLength: 6 }), optional).map(([a, b]) => [...a, ...b]);
      return fc.record({
        emptyLines: fc.constantFrom(0, 0, 0, 1, 2),
        method: fc.constant(method),
        target: fc.constant(target),
        version: fc.constant(version),
        fields: shuffleIn(fields, framing),
        body: fc.constant(body),
      });
    }),
  );
}

/** 1 to 4 valid requests in a row; every one but the last keeps the connection alive. */
export function streamArb(options: StreamOptions = {}): fc.Arbitrary<WireRequest[]> {
  return fc
    .tuple(fc.array(requestArb(options, true), { maxLength: 3 }), requestArb(options, false))
    .map(([first, last]) => [...first, last]);
}
