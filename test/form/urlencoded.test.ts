/**
 * UrlencodedParser and parseUrlencoded, as tables (STYLE.md 13). Every case is replayed whole, cut
 * at every byte position (and at every pair of positions when short, so an escape can straddle
 * three chunks), one byte per chunk, at random splits, and between garbage that is scribbled over
 * once consumed. Inputs are written one character per byte; refusals mark the refused byte with AT,
 * whose offset the error must report. Where the bytes are UTF-8, the same text through
 * parseUrlencoded and URLSearchParams must read the same.
 */
import { describe, expect, it } from 'vitest';
import { FormError, FormErrorCode } from '../../src/form/errors.ts';
import {
  DEFAULT_URLENCODED_LIMITS,
  MAX_FIELD_NAME_BYTES,
  MAX_URLENCODED_FIELD_BYTES,
  MAX_URLENCODED_FIELDS,
  UrlencodedParser,
  emptyFieldMap,
  parseUrlencoded,
  resolveUrlencodedLimits,
  type FieldMap,
  type UrlencodedLimits,
} from '../../src/form/urlencoded.ts';
import { AT, bytes, marked, utf8Latin1 } from './support.ts';
import { replay, runPieces } from './urlencoded-support.ts';

type Pairs = [string, string][];

interface AcceptCase {
  name: string;
  /** One character per byte; utf8Latin1() writes UTF-8 text that way. */
  body: string;
  /** With blank values kept, in order. */
  fields: Pairs;
  limits?: Partial<UrlencodedLimits>;
}

/** Groups pairs into a FieldMap, as the collecting parser builds it. */
function grouped(pairs: Pairs): FieldMap {
  const map = emptyFieldMap();
  for (const [name, value] of pairs) (map[name] ??= []).push(value);
  return map;
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, when its bytes are UTF-8 (so a string can carry it); else null. */
function asText(body: Uint8Array): string | null {
  try {
    return fatal.decode(body);
  } catch {
    return null;
  }
}

function collect(body: Uint8Array, keepBlankValues: boolean, limits?: Partial<UrlencodedLimits>): UrlencodedParser {
  const parser = new UrlencodedParser(null, { keepBlankValues, limits });
  parser.execute(body);
  parser.finish();
  return parser;
}

function expectAccepted(c: AcceptCase): void {
  const body = bytes(c.body);
  const kept = replay(body, { keepBlankValues: true, limits: c.limits });
  expect(kept).toEqual({ fields: c.fields, error: null, finished: true });
  // Blank values dropped: the same fields without those whose value is empty.
  const dropped = replay(body, { keepBlankValues: false, limits: c.limits });
  expect(dropped.fields).toEqual(c.fields.filter(([, value]) => value !== ''));
  // Collected into a map instead of a sink.
  expect(collect(body, true, c.limits).fields).toEqual(grouped(c.fields));
  expect(Object.getPrototypeOf(collect(body, false, c.limits).fields)).toBeNull();
  const text = asText(body);
  if (text !== null) {
    expect(parseUrlencoded(text, { limits: c.limits })).toEqual(grouped(c.fields));
    expect(parseUrlencoded(text, { keepBlankValues: false, limits: c.limits })).toEqual(grouped(dropped.fields));
    if (c.limits === undefined) expect(Array.from(new URLSearchParams(text))).toEqual(c.fields);
  }
}

const FFFD = '\ufffd';

const accepted: AcceptCase[] = [
  // WHATWG URL §5.1: split on "&", then on the first "=".
  { name: 'an empty body', body: '', fields: [] },
  { name: 'one field', body: 'a=1', fields: [['a', '1']] },
  { name: 'fields in order', body: 'b=2&a=1&c=3', fields: [['b', '2'], ['a', '1'], ['c', '3']] },
  { name: 'a repeated name keeps every value, in order', body: 'a=1&b=2&a=3&a=4', fields: [['a', '1'], ['b', '2'], ['a', '3'], ['a', '4']] },
  { name: 'empty sequences are skipped', body: '&&a=1&&&b=2&', fields: [['a', '1'], ['b', '2']] },
  { name: 'only separators', body: '&&&', fields: [] },
  { name: 'no "=": the value is empty', body: 'a&b=1&c', fields: [['a', ''], ['b', '1'], ['c', '']] },
  { name: 'an empty value', body: 'a=&b=', fields: [['a', ''], ['b', '']] },
  { name: 'an empty name', body: '=1&=', fields: [['', '1'], ['', '']] },
  { name: 'the first "=" splits, later ones are the value\'s', body: 'a==b=c&d=e=', fields: [['a', '=b=c'], ['d', 'e=']] },
  { name: 'a name and value of every ordinary ASCII byte', body: 'k!$\'()*,-./:;?@[]^_`{|}~=v!$\'()*,-./:;?@[]^_`{|}~', fields: [["k!$'()*,-./:;?@[]^_`{|}~", "v!$'()*,-./:;?@[]^_`{|}~"]] },
  { name: 'controls and spaces are kept as they are', body: 'a b\t=\x00\x7f\r\n', fields: [['a b\t', '\x00\x7f\r\n']] },
  // "+" is a space; %2B is a plus.
  { name: '"+" is a space in names and values', body: 'a+b=c+d+&+=+', fields: [['a b', 'c d '], [' ', ' ']] },
  { name: '%2B is "+"', body: 'a%2Bb=c%2bd', fields: [['a+b', 'c+d']] },
  // Percent-decoding: two hex digits of either case.
  { name: 'escapes of ASCII, upper and lower case', body: '%41%62=%4a%4B%7e', fields: [['Ab', 'JK~']] },
  { name: 'escaped separators are data', body: 'a%3Db%26c=d%26e%3Df', fields: [['a=b&c', 'd&e=f']] },
  { name: 'an escaped NUL and percent', body: 'a=%00%25', fields: [['a', '\x00%']] },
  // Malformed escapes stay literal, as in URLSearchParams.
  { name: 'a lone "%"', body: '%=%&b=100%', fields: [['%', '%'], ['b', '100%']] },
  { name: '"%" and one hex digit', body: 'a=%4&b=%F', fields: [['a', '%4'], ['b', '%F']] },
  { name: '"%" and non-hex', body: 'a=%G1&b=%1G&c=%+1', fields: [['a', '%G1'], ['b', '%1G'], ['c', '% 1']] },
  { name: '"%%41": the first "%" is literal', body: 'a=%%41', fields: [['a', '%A']] },
  { name: 'an escape cut by "&" or "=" stays literal', body: '%4&b%4=%4', fields: [['%4', ''], ['b%4', '%4']] },
  { name: 'an escape at the very end', body: 'a=1%2', fields: [['a', '1%2']] },
  // Decoded from the bytes (UTF-8 in the part): an escape cut by the end of the part reads
  // nothing past it — not the chunk's next bytes, nor an earlier field's left in the carry.
  { name: 'an escape cut by the end, in a part with UTF-8', body: 'x=%C3%A9FFFFFF&y=\xc3\xa9%4', fields: [['x', 'éFFFFFF'], ['y', 'é%4']] },
  { name: 'a "%" at the end, in a part with UTF-8', body: 'x=%C3%A9AAAAAA&\xc3\xa9%A=\xc3\xa9%', fields: [['x', 'éAAAAAA'], ['é%A', 'é%']] },
  // UTF-8, raw or escaped.
  { name: 'escaped UTF-8', body: 'caf%C3%A9=%E2%82%AC%F0%9F%98%80', fields: [['café', '€😀']] },
  { name: 'raw UTF-8', body: utf8Latin1('café=€😀&名前=値'), fields: [['café', '€😀'], ['名前', '値']] },
  { name: 'raw and escaped bytes of one character', body: 'a=\xe2%82%AC&b=%E2\x82\xac', fields: [['a', '€'], ['b', '€']] },
  { name: 'a BOM is text, not stripped', body: '%EF%BB%BFa=%EF%BB%BF&\xef\xbb\xbfb=1', fields: [['\ufeffa', '\ufeff'], ['\ufeffb', '1']] },
  // Invalid UTF-8 → U+FFFD per the WHATWG decoder (maximal subparts).
  { name: 'a byte that is never UTF-8', body: 'a=%FF&b=\xff\xfe', fields: [['a', FFFD], ['b', FFFD + FFFD]] },
  { name: 'a lone continuation byte', body: 'a=%80x', fields: [['a', `${FFFD}x`]] },
  { name: 'an overlong encoding', body: 'a=%C0%AF&b=%E0%80%AF', fields: [['a', FFFD + FFFD], ['b', FFFD + FFFD + FFFD]] },
  { name: 'a UTF-16 surrogate encoded as UTF-8', body: 'a=%ED%A0%80&b=\xed\xbf\xbf', fields: [['a', FFFD + FFFD + FFFD], ['b', FFFD + FFFD + FFFD]] },
  { name: 'past U+10FFFF', body: 'a=%F4%90%80%80', fields: [['a', FFFD + FFFD + FFFD + FFFD]] },
  { name: 'a truncated sequence, then a whole one', body: 'a=%E2%82%E2%82%AC&b=%F0%9F%98', fields: [['a', `${FFFD}€`], ['b', FFFD]] },
  { name: 'a truncated sequence cut by "&"', body: 'a=\xe2\x82&b=1', fields: [['a', FFFD], ['b', '1']] },
  // ASCII fields next to UTF-8 ones: a chunk with bytes past 0x7F anywhere has no text to slice.
  { name: 'ASCII fields after a UTF-8 one', body: `${utf8Latin1('é=ü')}&abc=d+%41f&g`, fields: [['é', 'ü'], ['abc', 'd Af'], ['g', '']] },
  { name: 'ASCII fields before a UTF-8 one', body: `abc=d+%41f&g&${utf8Latin1('é=ü')}`, fields: [['abc', 'd Af'], ['g', ''], ['é', 'ü']] },
  { name: 'an ASCII start, then UTF-8 later in the same field', body: `abcdef=ghi%2B${utf8Latin1('jké')}lmn`, fields: [['abcdef', 'ghi+jkélmn']] },
  // Names that are properties of Object.prototype are ordinary names.
  {
    name: '__proto__, constructor and friends are ordinary names',
    body: '__proto__=1&constructor=2&toString=3&hasOwnProperty=4&__proto__=5',
    fields: [['__proto__', '1'], ['constructor', '2'], ['toString', '3'], ['hasOwnProperty', '4'], ['__proto__', '5']],
  },
  // At the limits, exactly.
  { name: 'exactly maxFields fields; "&&" is not a field', body: 'a&&b=&c=1&&', fields: [['a', ''], ['b', ''], ['c', '1']], limits: { maxFields: 3 } },
  { name: 'maxFields 0 and no fields', body: '&&', fields: [], limits: { maxFields: 0 } },
  { name: 'a name of exactly maxFieldNameBytes, before "=", "&" and the end', body: 'abc=1&abc&abc', fields: [['abc', '1'], ['abc', ''], ['abc', '']], limits: { maxFieldNameBytes: 3 } },
  { name: 'a value of exactly maxFieldBytes, before "&" and the end', body: 'a=123&b=45=', fields: [['a', '123'], ['b', '45=']], limits: { maxFieldBytes: 3 } },
  { name: 'maxFieldBytes 0 allows empty values', body: 'a=&b&c=', fields: [['a', ''], ['b', ''], ['c', '']], limits: { maxFieldBytes: 0 } },
  { name: 'limits count bytes as sent: "%41" is three', body: 'n%41=%41', fields: [['nA', 'A']], limits: { maxFieldNameBytes: 4, maxFieldBytes: 3 } },
];

interface RefuseCase {
  name: string;
  /** With an AT marker at the refused byte. */
  body: string;
  code: FormErrorCode;
  limits: Partial<UrlencodedLimits>;
  /** The fields handed over before the refusal (blank values kept). */
  before: Pairs;
}

const refused: RefuseCase[] = [
  { name: 'one field too many', body: `a=1&b=2&${AT}c=3`, code: FormErrorCode.TOO_MANY_FIELDS, limits: { maxFields: 2 }, before: [['a', '1'], ['b', '2']] },
  { name: 'fields dropped for blank values count', body: `a&b=&${AT}c`, code: FormErrorCode.TOO_MANY_FIELDS, limits: { maxFields: 2 }, before: [['a', ''], ['b', '']] },
  { name: 'after empty sequences, at the field\'s first byte', body: `a&&&${AT}=`, code: FormErrorCode.TOO_MANY_FIELDS, limits: { maxFields: 1 }, before: [['a', '']] },
  { name: 'maxFields 0', body: `&${AT}a`, code: FormErrorCode.TOO_MANY_FIELDS, limits: { maxFields: 0 }, before: [] },
  { name: 'a name one byte too long', body: `ok=1&abc${AT}d=1`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldNameBytes: 3 }, before: [['ok', '1']] },
  { name: 'a name without "=" too long', body: `abc${AT}d`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldNameBytes: 3 }, before: [] },
  { name: 'a name too long in escapes', body: `%41${AT}%42=1`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldNameBytes: 3 }, before: [] },
  { name: 'maxFieldNameBytes 0 refuses every name but the empty one', body: `=1&${AT}a=1`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldNameBytes: 0 }, before: [['', '1']] },
  { name: 'a value one byte too long', body: `a=123${AT}4&b=1`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldBytes: 3 }, before: [] },
  { name: 'a value too long by its "="', body: `a=12${AT}=`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldBytes: 2 }, before: [] },
  { name: 'maxFieldBytes 0', body: `a=&b=${AT}1`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldBytes: 0 }, before: [['a', '']] },
  { name: 'a value too long in raw UTF-8', body: `a=${utf8Latin1('é')}${AT}\xa9`, code: FormErrorCode.FIELD_TOO_LARGE, limits: { maxFieldBytes: 2 }, before: [] },
];

describe('UrlencodedParser: accepted bodies, replayed at every split', () => {
  for (const c of accepted) it(c.name, () => expectAccepted(c));
});

describe('UrlencodedParser: limits refuse the byte that breaks them (413)', () => {
  for (const c of refused) {
    it(c.name, () => {
      const { text, at } = marked(c.body);
      const log = replay(bytes(text), { limits: c.limits });
      expect(log).toEqual({ fields: c.before, error: { code: c.code, status: 413, offset: at }, finished: false });
      const parsed = asText(bytes(text));
      if (parsed !== null) {
        expect(() => parseUrlencoded(parsed, { limits: c.limits })).toThrowError(FormError);
      }
    });
  }

  it('each message names the limit it enforces', () => {
    const message = (body: string, limits: Partial<UrlencodedLimits>): string => {
      const parser = collect(bytes(body), true, limits);
      return parser.error?.message ?? '';
    };
    expect(message('a&b', { maxFields: 1 })).toMatch(/maxFields/);
    expect(message('abcd', { maxFieldNameBytes: 2 })).toMatch(/maxFieldNameBytes/);
    expect(message('a=abcd', { maxFieldBytes: 2 })).toMatch(/maxFieldBytes/);
    // The client's bytes are never echoed.
    expect(message('secret=abcd', { maxFieldBytes: 2 })).not.toMatch(/secret|abcd/);
  });
});

describe('UrlencodedParser: the push contract', () => {
  it('an error is sticky until reset(), and reset() parses a new body', () => {
    const parser = new UrlencodedParser(null, { limits: { maxFields: 1 } });
    const body = bytes('a=1&b=2');
    expect(parser.execute(body)).toBe(4);
    expect(parser.error?.code).toBe(FormErrorCode.TOO_MANY_FIELDS);
    expect(parser.error?.offset).toBe(4);
    expect(parser.execute(bytes('c=3'))).toBe(0);
    expect(parser.finish()).toBe(false);
    expect(parser.fields).toEqual(grouped([['a', '1']]));
    parser.reset();
    expect(parser.error).toBeNull();
    expect(parser.execute(bytes('z=9'))).toBe(3);
    expect(parser.finish()).toBe(true);
    expect(parser.fields).toEqual(grouped([['z', '9']]));
  });

  it('a field is handed over once it is whole: at its "&", or at finish()', () => {
    const seen: string[] = [];
    const parser = new UrlencodedParser({ onField: (name, value) => void seen.push(`${name}=${value}`) }, { keepBlankValues: true });
    parser.execute(bytes('a=1&b=2'));
    expect(seen).toEqual(['a=1']);
    parser.execute(bytes('2&c'));
    expect(seen).toEqual(['a=1', 'b=22']);
    expect(parser.finish()).toBe(true);
    expect(seen).toEqual(['a=1', 'b=22', 'c=']);
  });

  it('an escape split across three chunks decodes once whole', () => {
    const log = runPieces([
      { buf: bytes('a=x%'), start: 0, end: 4 },
      { buf: bytes('E'), start: 0, end: 1 },
      { buf: bytes('2%82%A'), start: 0, end: 6 },
      { buf: bytes('Cy'), start: 0, end: 2 },
    ]);
    expect(log.fields).toEqual([['a', 'x€y']]);
  });

  it('keepBlankValues is false by default for the parser, true for parseUrlencoded', () => {
    expect(collect(bytes('a=&b&c=1'), false).fields).toEqual(grouped([['c', '1']]));
    const parser = new UrlencodedParser();
    parser.execute(bytes('a=&b&c=1'));
    parser.finish();
    expect(parser.fields).toEqual(grouped([['c', '1']]));
    expect(parseUrlencoded('a=&b&c=1')).toEqual(grouped([['a', ''], ['b', ''], ['c', '1']]));
  });

  it('nothing of a chunk is kept: a field that straddles chunks is copied, bounded by the limits', () => {
    const limits = { maxFieldNameBytes: 8, maxFieldBytes: 16 };
    const parser = new UrlencodedParser(null, { keepBlankValues: true, limits });
    const chunk = bytes('name=0123456789');
    parser.execute(chunk);
    chunk.fill(0x26); // the caller reuses its buffer: "&&&&…"
    parser.execute(bytes('abcdef&x=1'));
    parser.finish();
    expect(parser.fields).toEqual(grouped([['name', '0123456789abcdef'], ['x', '1']]));
  });

  it('a field longer than a chunk, fed in many chunks, is decoded once and whole', () => {
    const value = 'x%C3%A9+'.repeat(2000);
    const body = bytes(`big=${value}&small=1`);
    const log = runPieces(
      Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => ({ buf: body, start: i * 1000, end: Math.min(body.length, (i + 1) * 1000) })),
    );
    expect(log.fields).toEqual([
      ['big', 'xé '.repeat(2000)],
      ['small', '1'],
    ]);
  });

  it('a long ASCII field dripped in one byte per chunk: whole, and in linear time', () => {
    const body = bytes(`k=${'x+'.repeat(40_000)}%41&z=1`);
    const started = performance.now();
    const log = runPieces(Array.from(body, (_, i) => ({ buf: body, start: i, end: i + 1 })));
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(log.fields).toEqual([
      ['k', `${'x '.repeat(40_000)}A`],
      ['z', '1'],
    ]);
  });

  it('null-prototype results: a field named __proto__ does not change the prototype', () => {
    const fields = parseUrlencoded('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.keys(fields)).toEqual(['__proto__', 'constructor']);
    expect(fields['__proto__']).toEqual(['x']);
    expect(Object.getPrototypeOf(collect(bytes('__proto__=x'), true).fields)).toBeNull();
  });

  it('parseUrlencoded over texts longer than its encoding piece, with pairs and non-ASCII at the seams', () => {
    for (const filler of ['a', 'é', '😀']) {
      const value = filler.repeat(20_000);
      const text = `k=${value}&x=${'%F0%9F%98%80'.repeat(3)}&${'b'.repeat(16_383)}😀=1`;
      const expected = grouped([
        ['k', value],
        ['x', '😀😀😀'],
        [`${'b'.repeat(16_383)}😀`, '1'],
      ]);
      expect(parseUrlencoded(text, { limits: { maxFieldNameBytes: Infinity } })).toEqual(expected);
    }
  });

  it('a lone surrogate in a text is U+FFFD, as in URLSearchParams', () => {
    const text = 'a=\ud800&\udc00=b&c=\ud83d';
    expect(parseUrlencoded(text)).toEqual(grouped(Array.from(new URLSearchParams(text))));
    expect(parseUrlencoded(text)).toEqual(grouped([['a', FFFD], [FFFD, 'b'], ['c', FFFD]]));
  });
});

describe('urlencoded limits', () => {
  it('have named defaults', () => {
    expect(DEFAULT_URLENCODED_LIMITS).toEqual({
      maxFields: MAX_URLENCODED_FIELDS,
      maxFieldNameBytes: MAX_FIELD_NAME_BYTES,
      maxFieldBytes: MAX_URLENCODED_FIELD_BYTES,
    });
    expect(MAX_URLENCODED_FIELDS).toBe(1000);
    expect(MAX_FIELD_NAME_BYTES).toBe(1024);
    expect(MAX_URLENCODED_FIELD_BYTES).toBe(1024 * 1024);
    expect(Object.isFrozen(DEFAULT_URLENCODED_LIMITS)).toBe(true);
  });

  it('the defaults apply: 1000 fields pass, 1001 do not', () => {
    const body = (n: number): string => Array.from({ length: n }, (_, i) => `f${i}=${i}`).join('&');
    expect(Object.keys(parseUrlencoded(body(1000)))).toHaveLength(1000);
    expect(() => parseUrlencoded(body(1001))).toThrowError(expect.objectContaining({ code: FormErrorCode.TOO_MANY_FIELDS, status: 413 }));
    expect(() => parseUrlencoded(`${'n'.repeat(1025)}=1`)).toThrowError(expect.objectContaining({ code: FormErrorCode.FIELD_TOO_LARGE, offset: 1024 }));
    expect(() => parseUrlencoded(`a=${'v'.repeat(1024 * 1024 + 1)}`)).toThrowError(expect.objectContaining({ code: FormErrorCode.FIELD_TOO_LARGE, offset: 2 + 1024 * 1024 }));
    expect(parseUrlencoded(`a=${'v'.repeat(1024 * 1024)}`)['a']![0]).toHaveLength(1024 * 1024);
  });

  it('resolve overrides once, ignoring other keys (a multipart limits object fits)', () => {
    const limits = resolveUrlencodedLimits({ maxFields: 5, maxFileBytes: 1 } as Partial<UrlencodedLimits>);
    expect(limits).toEqual({ maxFields: 5, maxFieldNameBytes: MAX_FIELD_NAME_BYTES, maxFieldBytes: MAX_URLENCODED_FIELD_BYTES });
    expect(Object.isFrozen(limits)).toBe(true);
    expect(resolveUrlencodedLimits({ maxFieldBytes: Infinity }).maxFieldBytes).toBe(Infinity);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => resolveUrlencodedLimits({ maxFields: bad })).toThrowError(RangeError);
    }
  });
});
