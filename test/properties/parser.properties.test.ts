/**
 * Properties of the request parser over generated input: valid streams parse to their model under
 * any split, a parse log written back parses to itself, arbitrary or mutated bytes either parse or
 * fail with a SealError (never a throw), and llhttp agrees on what valid requests mean.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/http/errors.js';
import { resolveLimits, type ParserLimits } from '../../src/http/limits.js';
import { llhttpMethods, parseWithLlhttp } from '../support/llhttp.js';
import { bytes, runInterleaved, runPieces, splitAt, text, type ParseLog } from '../support/replay.js';
import { expectedLog, serializeLog, serializeStream, streamArb } from '../support/request-streams.js';
import { runs } from '../support/runs.js';

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Cut points anywhere in an input of up to `max` bytes; splitAt ignores the ones out of range. */
const cuts = (max = 600): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max }), { maxLength: 12 });

function parseSplit(input: Uint8Array, at: readonly number[], pauseAlways = false, limits?: ParserLimits): ParseLog {
  return runPieces(splitAt(input, at), { pauseAlways, limits });
}

describe('valid request streams (RFC 9112)', () => {
  it('parse to exactly their model under any split, pausing or not', () => {
    fc.assert(
      fc.property(streamArb(), cuts(), fc.boolean(), (requests, at, pause) => {
        const input = bytes(serializeStream(requests));
        expect(parseSplit(input, at, pause)).toEqual(expectedLog(requests));
      }),
      { numRuns: runs(1000) },
    );
  });

  it('parse to their model when every chunk is a view at any byte offset into a larger buffer', () => {
    // Sockets hand out Buffers carved from shared pools at any offset, and the value and target
    // scanners read 32-bit words from the view's memory: the bytes around a chunk (here NUL and CR,
    // which no value may hold) must never be read as part of it.
    fc.assert(
      fc.property(streamArb(), cuts(), fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 8 }), (requests, at, skews) => {
        const input = bytes(serializeStream(requests));
        const pieces = splitAt(input, at).map((piece, i) => {
          const skew = skews[i % skews.length]!;
          const backing = new Uint8Array(skew + piece.end + 8).fill(i % 2 === 0 ? 0x00 : 0x0d);
          backing.set(piece.buf.subarray(piece.start, piece.end), skew);
          return { buf: backing.subarray(skew, skew + piece.end), start: 0, end: piece.end };
        });
        expect(runPieces(pieces, {})).toEqual(expectedLog(requests));
      }),
      { numRuns: runs(500) },
    );
  });

  it('parse to their model when several parsers take turns, a chunk each, as connections do', () => {
    // The parsers share one scratch array for the field offsets of a section scanned within one
    // call; a section left for the next chunk must keep its own, whatever the others do meanwhile.
    fc.assert(
      fc.property(fc.array(fc.tuple(streamArb(), cuts()), { minLength: 2, maxLength: 4 }), (streams) => {
        const inputs = streams.map(([requests]) => bytes(serializeStream(requests)));
        const logs = runInterleaved(streams.map(([, at], i) => splitAt(inputs[i]!, at)));
        streams.forEach(([requests], i) => expect(logs[i]).toEqual(expectedLog(requests)));
      }),
      { numRuns: runs(300) },
    );
  });

  it('parse to their model one byte at a time', () => {
    fc.assert(
      fc.property(streamArb(), (requests) => {
        const input = bytes(serializeStream(requests));
        expect(parseSplit(input, Array.from(input, (_, i) => i))).toEqual(expectedLog(requests));
      }),
      { numRuns: runs(100) },
    );
  });

  it('round-trip: a parse log written back as bytes parses to the same log', () => {
    fc.assert(
      fc.property(streamArb(), cuts(), (requests, at) => {
        const first = parseSplit(bytes(serializeStream(requests)), []);
        const canonical = serializeLog(first);
        const second = parseSplit(bytes(canonical), at);
        expect(second).toEqual({ ...first, consumed: canonical.length });
        // Writing is a fixed point: nothing the log holds is lost or invented.
        expect(serializeLog(second)).toBe(canonical);
      }),
      { numRuns: runs(500) },
    );
  });
});

/** Checks what must hold for any input: no throw (runPieces checks execute's contract), a valid error, split-invariance. */
function checkAnyInput(input: Uint8Array, at: readonly number[], limits?: ParserLimits): void {
  const whole = parseSplit(input, [], false, limits);
  if (whole.error !== null) {
    expect(CODES.has(whole.error.code)).toBe(true);
    expect(whole.error.status).toBeGreaterThanOrEqual(400);
    expect(whole.error.status).toBeLessThanOrEqual(505);
    expect(whole.error.offset).toBeLessThanOrEqual(input.length);
  }
  expect(whole.consumed).toBeLessThanOrEqual(input.length);
  expect(parseSplit(input, at, false, limits)).toEqual(whole);
}

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x22, 0x5c, 0x2c), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Array.from(input);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'flip' && out.length > 0) out[at] = out[at]! ^ m.mask;
    else if (m.kind === 'insert') out.splice(at, 0, m.byte);
    else if (m.kind === 'delete') out.splice(at, m.length);
    else if (m.kind === 'truncate') out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

/** Small limits, so that mutated input also crosses every limit, at every split. */
const smallLimits: fc.Arbitrary<ParserLimits> = fc
  .record({
    maxRequestLineBytes: fc.integer({ min: 1, max: 80 }),
    maxHeaderBytes: fc.integer({ min: 1, max: 200 }),
    maxHeaderFields: fc.integer({ min: 1, max: 8 }),
    maxChunkExtensionBytes: fc.integer({ min: 1, max: 40 }),
    maxTrailerBytes: fc.integer({ min: 1, max: 80 }),
  })
  .map((l) => resolveLimits(l));

describe('arbitrary input', () => {
  it('random bytes either parse or fail with a SealError, the same under any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cuts(300), (input, at) => checkAnyInput(input, at)),
      { numRuns: runs(1000) },
    );
  });

  it('random bytes after a valid request line and fields', () => {
    const prefixes = ['GET / HTTP/1.1\r\nHost: a\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), cuts(300), (prefix, tail, at) => {
        const input = new Uint8Array([...bytes(prefix), ...tail]);
        checkAnyInput(input, at);
      }),
      { numRuns: runs(500) },
    );
  });

  it('mutated valid streams (flips, CR/LF/NUL/SP insertions, deletions, truncations) never throw', () => {
    fc.assert(
      fc.property(streamArb(), fc.array(mutation, { minLength: 1, maxLength: 4 }), cuts(), (requests, mutations, at) => {
        checkAnyInput(mutate(bytes(serializeStream(requests)), mutations), at);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('valid and mutated streams against small limits give the same result under any split', () => {
    fc.assert(
      fc.property(streamArb(), fc.array(mutation, { maxLength: 2 }), smallLimits, cuts(), (requests, mutations, limits, at) => {
        checkAnyInput(mutate(bytes(serializeStream(requests)), mutations), at, limits);
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('the one-pass scanner of whole heads', () => {
  // A head that arrives whole in one chunk is scanned without the state machine (scanWholeHead);
  // with its first byte in a chunk of its own, the same head goes through the state machine. The
  // two must agree on every stream, valid, mutated or over a limit: same events, same error, same offset.
  it('gives what the state machine gives, for valid and mutated streams against any limits', () => {
    fc.assert(
      fc.property(streamArb(), fc.array(mutation, { maxLength: 2 }), fc.option(smallLimits), (requests, mutations, limits) => {
        const input = mutate(bytes(serializeStream(requests)), mutations);
        const options = limits ?? undefined;
        expect(parseSplit(input, [1], false, options)).toEqual(parseSplit(input, [], false, options));
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('differential: llhttp (Node\'s parser, strict mode) agrees on valid requests', () => {
  // The generator keeps to what llhttp parses the same way; each constraint is explained where
  // request-streams.ts applies it: llhttp's methods only (it refuses extension methods), no CONNECT
  // (it hands the connection over after the head), absolute targets as "alpha-scheme://host/path",
  // no BWS in chunk extensions (strict llhttp refuses it), no OWS after Content-Length,
  // Transfer-Encoding and Connection values (llhttp then misses "chunked" or "keep-alive"), never
  // "close" with "keep-alive", and only the last request may end the connection (llhttp refuses
  // data after it). No result is filtered.
  const methods = llhttpMethods();

  it('same method, target, version, fields, body, trailers and persistence', () => {
    fc.assert(
      fc.property(streamArb({ llhttp: { methods } }), cuts(), (requests, at) => {
        const input = bytes(serializeStream(requests));
        const seal = parseSplit(input, at);
        const reference = parseWithLlhttp(input);
        expect(seal.error).toBeNull();
        expect(reference.error).toBeNull();
        expect(seal.messages.map((m) => ({
          method: m.head.method,
          url: m.head.target,
          version: m.head.version,
          headers: m.head.fields,
          body: m.body,
          trailers: m.trailers ?? [],
          keepAlive: m.head.keepAlive,
          upgrade: m.head.upgrade,
        }))).toEqual(
          reference.messages.map((m) => ({
            method: m.method,
            url: m.url,
            version: `${m.versionMajor}.${m.versionMinor}`,
            // llhttp already leaves OWS out of values; trim anyway, as the comparison's contract.
            headers: m.headers.map(([name, value]) => [name, value.replace(/^[ \t]+|[ \t]+$/g, '')]),
            body: text(m.body),
            trailers: m.trailers.map(([name, value]) => [name, value.replace(/^[ \t]+|[ \t]+$/g, '')]),
            keepAlive: m.keepAlive,
            upgrade: m.upgrade,
          })),
        );
      }),
      { numRuns: runs(500) },
    );
  });
});
