/**
 * application/x-www-form-urlencoded properties (fast-check):
 * (a) differential: on generated strings (any Unicode, lone surrogates, "&", "=", "%", "+",
 *     malformed escapes, escapes of bytes that are not UTF-8) parseUrlencoded and the incremental
 *     parser read the same names and values, in the same order, as URLSearchParams;
 * (b) under any chunking of the UTF-8 bytes, between garbage, the incremental parser agrees;
 * (c) random bytes under random limits: nothing but a FormError, never a hang, never a field past
 *     a limit, and the same reading however they are split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormError } from '../../src/form/errors.ts';
import { parseUrlencoded, parseUrlencodedBytes, UrlencodedParser, type FieldMap, type UrlencodedLimits } from '../../src/form/urlencoded.ts';
import { runs } from '../support/runs.ts';
import { MEANINGFUL_GARBAGE, RANDOM_GARBAGE, padPieces, prng, splitAt, type Piece } from '../form/support.ts';
import { runPieces } from '../form/urlencoded-support.ts';

const encoder = new TextEncoder();
const hex = (b: number): string => `%${b.toString(16).padStart(2, '0')}`;

// --- Generators ------------------------------------------------------------------------------------

/** Escapes of any byte, in either case; runs of them spell valid and invalid UTF-8 alike. */
const escapeArb = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(hex),
  fc.integer({ min: 0, max: 255 }).map((b) => hex(b).toUpperCase()),
  // A whole character's bytes escaped, or all but its last byte (a truncated sequence).
  fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.boolean()).map(([c, cut]) => {
    const bytes = Array.from(encoder.encode(c));
    return (cut && bytes.length > 1 ? bytes.slice(0, -1) : bytes).map(hex).join('');
  }),
  // UTF-16 surrogates and other code points that UTF-8 may not encode, as their would-be bytes.
  fc.constantFrom('%ED%A0%80', '%ED%BF%BF', '%ED%A0%BD%ED%B8%80', '%C0%80', '%C1%BF', '%E0%80%80', '%F0%80%80%80', '%F4%90%80%80', '%F8%88%80%80%80', '%FE', '%FF'),
);

/** "%" without two hex digits after it. */
const malformedArb = fc.constantFrom('%', '%%', '%4', '%G', '%4G', '%G4', '% 4', '%+4', '%-1', '%0x', '%%41', '%\u00e9', '%=', '%&');

/** Lone surrogates as UTF-16 code units: TextEncoder and URLSearchParams both make them U+FFFD. */
const loneSurrogateArb = fc.oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff })).map((c) => String.fromCharCode(c));

const formTextArb = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('&', '=', '+', '%', 'a', 'B', '0', '9', 'f', 'F', ' ', '&&', '==', '=&') },
    { weight: 4, arbitrary: escapeArb },
    { weight: 2, arbitrary: malformedArb },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 4 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }) },
    { weight: 1, arbitrary: loneSurrogateArb },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '\ufeff', '\u0000', '\r\n') },
  ),
  maxLength: 60,
});

// --- Helpers ---------------------------------------------------------------------------------------

/**
 * What URLSearchParams reads in `text`, by the WHATWG standard. Node 20's URLSearchParams strays
 * from it where a name or value mixes escapes and non-ASCII characters: it reads such a character
 * as one byte, its code point, rather than as its UTF-8 bytes, so "%E2%82¬" reads "€" (the standard:
 * "\ufffd¬") and "%é%20" reads "%\ufffd " (the standard: "%é "); `new URL()`'s searchParams reads
 * both right. Escaping every non-ASCII character as its UTF-8 bytes first reads the same by the
 * standard — an inserted escape never completes an earlier "%" — and sidesteps that bug.
 */
function reference(text: string): [string, string][] {
  let ascii = '';
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) ascii += char;
    else for (const b of encoder.encode(char)) ascii += hex(b);
  }
  return params(ascii);
}

/** URLSearchParams over exactly `text`: its constructor drops one leading "?", so one is added. */
function params(text: string): [string, string][] {
  return Array.from(new URLSearchParams(`?${text}`));
}

function grouped(pairs: Iterable<[string, string]>): FieldMap {
  const map = Object.create(null) as FieldMap;
  for (const [name, value] of pairs) (map[name] ??= []).push(value);
  return map;
}

/** The UTF-8 bytes cut at the given points and placed between garbage that is scribbled over after use. */
function chunked(bytes: Uint8Array, cuts: readonly number[], seed: number): { pieces: Piece[]; scribble: (piece: Piece) => void } {
  const split = splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)));
  return padPieces(split, seed % 2 === 0 ? RANDOM_GARBAGE : MEANINGFUL_GARBAGE, prng(seed));
}

// --- Properties ---------------------------------------------------------------------------------

describe('urlencoded properties', () => {
  it('(a) parseUrlencoded and the parser read what URLSearchParams reads, in order', () => {
    fc.assert(
      fc.property(formTextArb, (text) => {
        const theirs = reference(text);
        const limits = { maxFields: Infinity, maxFieldNameBytes: Infinity, maxFieldBytes: Infinity };
        expect(parseUrlencoded(text, { limits })).toEqual(grouped(theirs));
        expect(parseUrlencodedBytes(encoder.encode(text), { limits })).toEqual(grouped(theirs));
        // On ASCII, where Node's URLSearchParams is right (see reference()), exactly it.
        if (/^[\x00-\x7f]*$/.test(text)) expect(theirs).toEqual(params(text));
        expect(runPieces([{ buf: encoder.encode(text), start: 0, end: encoder.encode(text).length }], { limits }).fields).toEqual(theirs);
        // Blank values dropped: URLSearchParams' fields without the empty values.
        expect(parseUrlencoded(text, { keepBlankValues: false, limits })).toEqual(grouped(theirs.filter(([, value]) => value !== '')));
      }),
      { numRuns: runs(1500) },
    );
  });

  it('(a) long texts, across parseUrlencoded\'s encoding pieces', () => {
    fc.assert(
      fc.property(fc.array(formTextArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 20_000 }), fc.constantFrom('x', 'é', '😀', '%41', '+'), (texts, padding, filler) => {
        const text = texts.join(filler.repeat(padding / texts.length));
        const theirs = reference(text);
        const limits = { maxFields: Infinity, maxFieldNameBytes: Infinity, maxFieldBytes: Infinity };
        expect(parseUrlencoded(text, { limits })).toEqual(grouped(theirs));
      }),
      { numRuns: runs(60) },
    );
  });

  it('(a) where Node 20\'s URLSearchParams strays from the standard, Seal reads as the standard and new URL() do', () => {
    for (const text of ['%é%20', 'x%é%41=%é%41', '%%é%20', '%E2%82¬', '%C3©', '%ED%A0%80\u00a0', '%FFé']) {
      const standard = Array.from(new URL(`http://h/?${text}`).searchParams);
      expect(standard).toEqual(reference(text));
      expect(parseUrlencoded(text)).toEqual(grouped(standard));
    }
    expect(parseUrlencoded('%é%20')).toEqual(grouped([['%é ', '']]));
    expect(parseUrlencoded('a=%E2%82¬')).toEqual(grouped([['a', '\ufffd¬']]));
  });

  it('(b) under any chunking of the UTF-8 bytes, between garbage, the parser agrees', () => {
    fc.assert(
      fc.property(formTextArb, fc.array(fc.nat(400), { maxLength: 12 }), fc.nat(), fc.boolean(), (text, cuts, seed, keepBlankValues) => {
        const bytes = encoder.encode(text);
        const whole = runPieces([{ buf: bytes, start: 0, end: bytes.length }], { keepBlankValues });
        const { pieces, scribble } = chunked(bytes, cuts, seed);
        expect(runPieces(pieces, { keepBlankValues, afterPiece: scribble })).toEqual(whole);
        expect(runPieces(splitAt(bytes, Array.from(bytes, (_, i) => i)), { keepBlankValues })).toEqual(whole);
      }),
      { numRuns: runs(800) },
    );
  });

  const limitsArb: fc.Arbitrary<Partial<UrlencodedLimits>> = fc.record(
    { maxFields: fc.integer({ min: 0, max: 6 }), maxFieldNameBytes: fc.integer({ min: 0, max: 12 }), maxFieldBytes: fc.integer({ min: 0, max: 24 }) },
    { requiredKeys: [] },
  );

  /** Random bytes, weighted toward the ones that mean something here. */
  const bodyArb = fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
        { weight: 3, arbitrary: fc.constantFrom(0x26, 0x3d, 0x25, 0x2b, 0x30, 0x41, 0x66, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xed, 0xa0, 0xff) },
      ),
      { maxLength: 200 },
    )
    .map((list) => Uint8Array.from(list));

  it('(c) random bytes: only FormErrors, no hang, no field past a limit, the same under any split', () => {
    fc.assert(
      fc.property(bodyArb, limitsArb, fc.array(fc.nat(400), { maxLength: 10 }), fc.nat(), (bytes, limits, cuts, seed) => {
        // The recording sink throws when a field breaks a limit; runPieces checks the contract.
        const whole = runPieces([{ buf: bytes, start: 0, end: bytes.length }], { limits });
        const { pieces, scribble } = chunked(bytes, cuts, seed);
        expect(runPieces(pieces, { limits, afterPiece: scribble })).toEqual(whole);
        expect(runPieces(splitAt(bytes, Array.from(bytes, (_, i) => i)), { limits })).toEqual(whole);
        // The text path: only a FormError, and only when the parser refuses the same bytes.
        const text = new TextDecoder().decode(bytes);
        try {
          parseUrlencoded(text, { limits });
        } catch (error) {
          expect(error).toBeInstanceOf(FormError);
        }
      }),
      { numRuns: runs(1000) },
    );
  });

  it('(c) text, whole bytes and chunks meet a limit alike: the same fields, or the same error at the same offset', () => {
    const outcome = (parse: () => FieldMap): FieldMap | { code: string; offset: number } => {
      try {
        return parse();
      } catch (error) {
        if (!(error instanceof FormError)) throw error;
        return { code: error.code, offset: error.offset };
      }
    };
    fc.assert(
      fc.property(formTextArb, limitsArb, fc.boolean(), (text, limits, keepBlankValues) => {
        const bytes = encoder.encode(text);
        const options = { limits, keepBlankValues };
        const incremental = outcome(() => {
          const parser = new UrlencodedParser(null, options);
          parser.execute(bytes);
          if (!parser.finish()) throw parser.error!;
          return parser.fields;
        });
        expect(outcome(() => parseUrlencoded(text, options))).toEqual(incremental);
        expect(outcome(() => parseUrlencodedBytes(bytes, options))).toEqual(incremental);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('(c) a large random body is parsed in time linear in its size, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 50_000, maxLength: 100_000 }), fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const parser = new UrlencodedParser({ onField() {} }, { limits: { maxFields: Infinity, maxFieldNameBytes: Infinity, maxFieldBytes: Infinity } });
        const started = performance.now();
        let consumed = 0;
        for (let at = 0; at < bytes.length; at += chunk) consumed += parser.execute(bytes, at, Math.min(bytes.length, at + chunk));
        expect(parser.finish()).toBe(true);
        expect(consumed).toBe(bytes.length);
        // 100 kB in tiny chunks: milliseconds when linear; a quadratic re-scan would take seconds.
        expect(performance.now() - started).toBeLessThan(2_000);
      }),
      { numRuns: runs(6) },
    );
  }, 120_000);
});
