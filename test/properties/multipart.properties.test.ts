/**
 * multipart/form-data properties (fast-check):
 * (a) random forms, serialized by a reference serializer, parse back exactly under any chunking;
 * (b) Seal and busboy read the same generated bodies the same way;
 * (c) random and mutated bodies never make the parser throw anything but a FormError, stall, or
 *     hand over more than a limit allows, and read the same however they are split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../support/runs.ts';
import { asSent, boundaryOccursIn, parseWithBusboy, parseWithSeal, serialize, type FormPart, type NameStyle, type ParsedForm } from '../form/forms.ts';
import { bytes, padPieces, RANDOM_GARBAGE, MEANINGFUL_GARBAGE, prng, runPieces, splitAt, type Piece } from '../form/support.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// --- Generators ------------------------------------------------------------------------------------

const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

/** RFC 2046 boundaries: 1 to 70 bchars, not ending in a space; and ones browsers use. */
const boundaryArb = fc.oneof(
  fc
    .string({ unit: fc.constantFrom(...BCHARS), minLength: 1, maxLength: 70 })
    .map((b) => (b.endsWith(' ') ? `${b.slice(0, -1)}z` : b)),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 16, maxLength: 16 }).map((s) => `----WebKitFormBoundary${s}`),
  fc.constantFrom('-', 'x', 'AaB03x', '--', 'a b'),
);

/** Text with the characters forms trip over: CRLF, &, =, %, +, quotes, backslashes, Unicode. */
const trickyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '&', '=', '%', '+', '"', "'", '\\', ';', ' ', '\t', '%0D', '€', 'é', '😀', '\u0000', '--') },
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 2 }) },
    ),
    maxLength,
  });

/** Bytes with runs that resemble the delimiter: prefixes of it, it without CRLF, it one byte off. */
function fileBytesArb(boundary: string): fc.Arbitrary<Uint8Array> {
  const delimiter = `\r\n--${boundary}`;
  const lookalike = fc.oneof(
    fc.integer({ min: 1, max: delimiter.length - 1 }).map((n) => delimiter.slice(0, n)),
    fc.constant(`--${boundary}`),
    fc.constant(`\r--${boundary}`),
    fc.constant(`\n--${boundary}`),
    fc.integer({ min: 0, max: delimiter.length - 1 }).map((i) => delimiter.slice(0, i) + (delimiter[i] === 'Z' ? 'Y' : 'Z') + delimiter.slice(i + 1)),
  );
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 2, arbitrary: lookalike.map((s) => bytes(s)) },
    { weight: 1, arbitrary: fc.constantFrom(bytes('\r\n'), bytes('\r'), bytes('\n'), bytes('-')) },
  );
  return fc.array(segment, { maxLength: 12 }).map((segments) => {
    const out = new Uint8Array(segments.reduce((n, s) => n + s.length, 0));
    let at = 0;
    for (const s of segments) {
      out.set(s, at);
      at += s.length;
    }
    return out;
  });
}

const fieldContentType = fc.constantFrom(undefined, 'text/plain; charset=utf-8', 'text/plain');
const fileContentType = fc.constantFrom('application/octet-stream', 'image/png', 'text/plain; charset=utf-8', 'application/x-seal+json; q="1"');

function formArb(boundary: string): fc.Arbitrary<FormPart[]> {
  const fieldArb = fc.record({ name: trickyText(12), value: trickyText(40), contentType: fieldContentType }).map(
    ({ name, value, contentType }): FormPart => ({ name, data: encoder.encode(value), ...(contentType === undefined ? {} : { contentType }) }),
  );
  const fileArb = fc.record({ name: trickyText(12), filename: trickyText(16), contentType: fileContentType, data: fileBytesArb(boundary) });
  return fc.array(fc.oneof(fieldArb, fileArb), { maxLength: 6 });
}

const formCaseArb = boundaryArb.chain((boundary) =>
  fc.record({
    boundary: fc.constant(boundary),
    parts: formArb(boundary),
    preamble: fc.constantFrom("", "This is a preamble.", `x--${boundary} is not at the start of a line`),
    epilogue: fc.constantFrom('', 'epilogue', `\r\n--${boundary}\r\nignored`),
    cuts: fc.array(fc.nat(4000), { maxLength: 12 }),
    seed: fc.nat(),
  }),
);

/** Forms no serializer can send with this boundary are left out: it occurs in a part's data. */
function sendable(boundary: string, parts: readonly FormPart[]): boolean {
  return parts.every((part) => !boundaryOccursIn(boundary, part.data));
}

function pieces(body: Uint8Array, cuts: readonly number[], seed: number): Piece[] {
  const random = prng(seed);
  const split = splitAt(body, cuts.map((c) => c % (body.length + 1)));
  return padPieces(split, seed % 2 === 0 ? RANDOM_GARBAGE : MEANINGFUL_GARBAGE, random).pieces;
}

/** What a form should read as: names and filenames as the style sent them, media types as essences. */
function expected(parts: readonly FormPart[], style: NameStyle): ParsedForm {
  return {
    parts: parts.map((part) => ({
      kind: part.filename === undefined ? ('field' as const) : ('file' as const),
      name: asSent(part.name, style)!,
      filename: part.filename === undefined ? undefined : asSent(part.filename, style)!,
      contentType: (part.contentType ?? (part.filename === undefined ? 'text/plain' : 'application/octet-stream')).split(';')[0]!,
      data: part.data,
    })),
    error: null,
  };
}

/**
 * A form as a browser can send it, for the busboy comparison: without the control characters the
 * HTML standard leaves unescaped (no parser reads those from a quoted-string), names and filenames
 * not ending in a lone backslash, and no empty filename (busboy takes `filename=""` for a field
 * unless the type is application/octet-stream; see busboy.test.ts).
 */
function browserSendable(parts: readonly FormPart[]): FormPart[] {
  const clean = (value: string): string => {
    const kept = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
    return asSent(kept, 'browser') === null ? `${kept}_` : kept;
  };
  return parts.map((part) => ({
    ...part,
    name: clean(part.name),
    ...(part.filename === undefined ? {} : { filename: clean(part.filename) || 'f' }),
  }));
}

/** Buffers and Uint8Arrays compare equal by bytes. */
function plain(form: ParsedForm): unknown {
  return { ...form, parts: form.parts.map((p) => ({ ...p, data: Array.from(p.data) })) };
}

// --- Properties ---------------------------------------------------------------------------------

describe('multipart properties', () => {
  it('(a) random forms parse back exactly, under every random chunking', () => {
    fc.assert(
      fc.property(formCaseArb, ({ boundary, parts, preamble, epilogue, cuts, seed }) => {
        fc.pre(sendable(boundary, parts));
        const body = serialize(parts, boundary, 'rfc', preamble, epilogue);
        const form = parseWithSeal(boundary, pieces(body, cuts, seed));
        expect(plain(form)).toEqual(plain(expected(parts, 'rfc')));
        // One byte per chunk as well, for small bodies.
        if (body.length < 600) expect(plain(parseWithSeal(boundary, splitAt(body, Array.from(body, (_, i) => i))))).toEqual(plain(form));
      }),
      { numRuns: runs(250) },
    );
  });

  it('(b) Seal reads what busboy reads: fields, filenames, media types and file bytes', async () => {
    await fc.assert(
      fc.asyncProperty(formCaseArb, async ({ boundary, parts: generated, preamble, epilogue, cuts, seed }) => {
        const parts = browserSendable(generated);
        fc.pre(sendable(boundary, parts));
        // Written as browsers write it (busboy does not read name*).
        const body = serialize(parts, boundary, 'browser', preamble, epilogue);
        const seal = parseWithSeal(boundary, pieces(body, cuts, seed));
        const theirs = await parseWithBusboy(boundary, body, 1 + (seed % 97));
        // busboy hands fields over as decoded text; compare fields as text and files as bytes.
        const text = (form: ParsedForm): unknown =>
          plain({ ...form, parts: form.parts.map((p) => (p.filename === undefined ? { ...p, data: encoder.encode(decoder.decode(p.data)) } : p)) });
        expect(text(seal)).toEqual(text(theirs));
        expect(plain(seal)).toEqual(plain(expected(parts, 'browser')));
      }),
      { numRuns: runs(150) },
    );
  });

  const limits = {
    maxParts: 4,
    maxFields: 3,
    maxFiles: 2,
    maxFieldBytes: 24,
    maxTotalFieldBytes: 40,
    maxFileBytes: 64,
    maxPartHeaders: 3,
    maxPartHeaderBytes: 160,
  };

  /** Mutations that keep a body close to valid, where the parser's decisions are. */
  const mutationArb = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.constantFrom(0x0d, 0x0a, 0x2d, 0x20, 0x09, 0x3a, 0x3b, 0x22, 0x00, 0xff, 0x41) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\r\n', '\r\n--', '--', '\r\n\r\n', ': ', '"', ';', 'Content-Disposition: form-data; name="x"\r\n') }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
  );
  type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

  function mutate(body: Uint8Array, mutation: Mutation): Uint8Array {
    const at = body.length === 0 ? 0 : mutation.at % (body.length + 1);
    const join = (...parts: Uint8Array[]): Uint8Array => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let i = 0;
      for (const p of parts) {
        out.set(p, i);
        i += p.length;
      }
      return out;
    };
    switch (mutation.kind) {
      case 'flip': {
        const out = body.slice();
        if (at < out.length) out[at] = mutation.byte;
        return out;
      }
      case 'insert':
        return join(body.subarray(0, at), bytes(mutation.text), body.subarray(at));
      case 'delete':
        return join(body.subarray(0, at), body.subarray(at + mutation.length));
      case 'truncate':
        return body.subarray(0, at);
      case 'duplicate':
        return join(body.subarray(0, at + mutation.length), body.subarray(at));
    }
  }

  const bodyCaseArb = fc.oneof(
    // Mutated valid bodies.
    {
      weight: 4,
      arbitrary: boundaryArb.chain((boundary) =>
        fc.record({
          boundary: fc.constant(boundary),
          body: fc.tuple(formArb(boundary), fc.array(mutationArb, { maxLength: 4 })).map(([parts, mutations]) =>
            mutations.reduce(mutate, serialize(parts, boundary, 'rfc', 'pre', 'epi')),
          ),
        }),
      ),
    },
    // Random bytes from the alphabet of the framing, with a short boundary.
    fc.record({
      boundary: fc.constant('b'),
      body: fc
        .array(fc.constantFrom('\r\n', '--b', '--', '-', 'b', ':', ' ', ';', '"', 'name=', 'Content-Disposition: form-data; name="a"', 'filename="f"', 'x', '\r'), {
          maxLength: 60,
        })
        .map((tokens) => bytes(tokens.join(''))),
    }),
    // Entirely random bytes.
    fc.record({ boundary: fc.constant('AaB03x'), body: fc.uint8Array({ maxLength: 300 }) }),
  );

  it('(c) random and mutated bodies: only FormErrors, no stall, no limit exceeded, the same under any split', () => {
    fc.assert(
      fc.property(bodyCaseArb, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), ({ boundary, body }, cuts, pauseAlways) => {
        // runPieces throws on any contract breach: a non-FormError, no progress, data that is not
        // a view, more than a limit delivered, events out of order.
        const whole = runPieces(boundary, [{ buf: body.slice(), start: 0, end: body.length }], { limits });
        const split = runPieces(boundary, splitAt(body, cuts.map((c) => c % (body.length + 1))), { limits, pauseAlways });
        expect(split).toEqual(whole);
        if (whole.error === null) expect(whole.ended).toBe(true);
      }),
      { numRuns: runs(600) },
    );
  });
});
