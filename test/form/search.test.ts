/**
 * StreamSearch against a naive search (String.prototype.split), whole, one byte per chunk, at
 * every two-way split and at random splits, with garbage after `end`; and the isDataSafe contract:
 * data is a view of the chunk, except held-back bytes, always fewer than the needle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Found, MAX_NEEDLE_LENGTH, StreamSearch } from '../../src/form/search.ts';
import { runs } from '../support/runs.ts';
import { bytes, latin1, oneBytePieces, padPieces, prng, hash, RANDOM_GARBAGE, randomCuts, splitAt, type Piece } from './support.ts';

const MATCH = '\u0000MATCH\u0000';

/** What a search must report: the haystack cut at each leftmost, non-overlapping match. */
function naive(needle: string, haystack: string): string[] {
  return haystack.split(needle).flatMap((data, i) => (i === 0 ? [data] : [MATCH, data])).filter((s) => s !== '');
}

/** Runs the search over the pieces; data runs are merged, the bytes still held are appended as data. */
function searchPieces(needle: string, pieces: readonly Piece[], initialHeld = 0): string[] {
  const search = new StreamSearch(bytes(needle));
  search.reset(initialHeld);
  const events: string[] = [];
  const push = (data: string): void => {
    const last = events.length - 1;
    if (last >= 0 && events[last] !== MATCH) events[last] += data;
    else events.push(data);
  };
  for (const piece of pieces) {
    let p = piece.start;
    while (p < piece.end) {
      const from = p;
      const held = search.held;
      p = search.step(piece.buf, p, piece.end);
      if (p < from || p > piece.end) throw new Error(`step returned ${p} outside [${from}, ${piece.end}]`);
      if (search.found === Found.DATA) {
        const { dataBuf, dataStart, dataEnd, isDataSafe } = search;
        if (!(dataStart < dataEnd)) throw new Error('empty data');
        if (isDataSafe) {
          if (dataBuf !== piece.buf || dataStart < from || dataEnd > p) throw new Error('safe data is not a view of the consumed chunk bytes');
        } else {
          if (dataBuf === piece.buf || p !== from || dataEnd - dataStart > held || dataEnd - dataStart >= needle.length) {
            throw new Error('unsafe data is not from the held bytes');
          }
        }
        push(latin1(dataBuf, dataStart, dataEnd));
      } else if (search.found === Found.MATCH) {
        events.push(MATCH);
      } else if (p !== piece.end) {
        throw new Error('NOTHING before the end of the chunk');
      }
      if (search.held >= needle.length) throw new Error('held a whole needle');
    }
  }
  if (search.held > 0) push(needle.slice(0, search.held));
  return events;
}

function whole(text: string): Piece[] {
  return [{ buf: bytes(text), start: 0, end: text.length }];
}

/** Every layout of the haystack gives the naive result. */
function expectFound(needle: string, haystack: string): void {
  const expected = naive(needle, haystack);
  const input = bytes(haystack);
  expect(searchPieces(needle, whole(haystack)), 'whole').toEqual(expected);
  expect(searchPieces(needle, oneBytePieces(input)), 'one byte per chunk').toEqual(expected);
  const random = prng(hash(input));
  // Every two-way split of a short haystack; of a long one, a sample.
  const cuts = input.length <= 600 ? Array.from({ length: input.length - 1 }, (_, i) => i + 1) : Array.from({ length: 80 }, () => 1 + Math.floor(random() * (input.length - 1)));
  for (const cut of cuts) expect(searchPieces(needle, splitAt(input, [cut])), `split at ${cut}`).toEqual(expected);
  for (let i = 0; i < 4; i++) {
    const cuts = randomCuts(input.length, random);
    expect(searchPieces(needle, padPieces(splitAt(input, cuts), RANDOM_GARBAGE, random).pieces), `split at ${cuts.join(',')} in garbage`).toEqual(expected);
  }
}

const DELIMITER = '\r\n--AaB03x';

describe('StreamSearch', () => {
  const cases: [string, string, string][] = [
    ['no match', DELIMITER, 'plain data without the needle'],
    ['a match in the middle', DELIMITER, `before${DELIMITER}after`],
    ['a match at the start and at the end', DELIMITER, `${DELIMITER}middle${DELIMITER}`],
    ['back-to-back matches', DELIMITER, DELIMITER.repeat(3)],
    ['only the needle', DELIMITER, DELIMITER],
    ['prefixes of the needle everywhere', DELIMITER, '\r\n--AaB03\r\n--AaB0\r\n-\r\n\r\r\n--AaB03x\r\n--AaB03'],
    ['a haystack shorter than the needle', DELIMITER, '\r\n--A'],
    ['the needle without its CRLF, and with only half of it', DELIMITER, '--AaB03x\n--AaB03x\r--AaB03x'],
    ['a longer run that starts with the needle', DELIMITER, `x${DELIMITER}X${DELIMITER}--`],
    ['a one-byte needle', '-', 'a-b--c-'],
    ['a periodic needle with borders', 'aab', 'aaaabaaaab aab aaab'],
    ['a self-overlapping needle', 'abab', 'abababab ababa abab'],
    ['a needle of one repeated byte', 'aaa', 'aaaaaaa a aa aaaa'],
    ['all 256 bytes around a match', DELIMITER, latin1(Uint8Array.from({ length: 256 }, (_, i) => i)) + DELIMITER + '\x00\xff'],
  ];
  for (const [name, needle, haystack] of cases) it(name, () => expectFound(needle, haystack));

  describe('long runs, searched as two halves at once', () => {
    const random = prng(7);
    const noise = (length: number): string => latin1(Uint8Array.from({ length }, () => Math.floor(random() * 256)).map((b) => (b === 13 ? 14 : b)));
    const long: [string, string][] = [
      ['no match in 4 KiB', noise(4096)],
      ['one match in the second half', noise(3000) + DELIMITER + noise(100)],
      ['one match in the first half', noise(100) + DELIMITER + noise(3000)],
      ['matches in both halves: the first is reported first', noise(700) + DELIMITER + noise(1500) + DELIMITER + noise(700)],
      // The second half's chain reaches its match first; the first half's is still the leftmost.
      ['matches on both sides of the middle, the later one found first', noise(1000) + DELIMITER + noise(30) + DELIMITER + noise(1000)],
      ['a match straddling the middle', noise(1000) + DELIMITER + noise(1000)],
      ['near-misses all through', ('\r\n--AaB03' + noise(40)).repeat(60)],
      ['a match at the very end', noise(2000) + DELIMITER],
    ];
    for (const [name, haystack] of long) it(name, () => expectFound(DELIMITER, haystack));

    it('random long haystacks with needles and near-misses inserted (fast-check)', () => {
      const segment = fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 400 }).map((b) => latin1(b)),
        fc.constantFrom(DELIMITER, DELIMITER.slice(0, 5), `--AaB03x`, '\r\n--AaB03X'),
      );
      fc.assert(
        fc.property(fc.array(segment, { minLength: 4, maxLength: 30 }), fc.array(fc.nat(12000), { maxLength: 6 }), (segments, cuts) => {
          const haystack = segments.join('');
          expect(searchPieces(DELIMITER, splitAt(bytes(haystack), cuts))).toEqual(naive(DELIMITER, haystack));
        }),
        { numRuns: runs(150) },
      );
    });
  });

  it('reset(held) behaves as if the input so far ended with needle[0, held)', () => {
    // A body that opens with the dash-boundary matches; held bytes that turn out to be data are handed out.
    expect(searchPieces(DELIMITER, whole('--AaB03x rest'), 2)).toEqual([MATCH, ' rest']);
    expect(searchPieces(DELIMITER, whole('preamble'), 2)).toEqual(['\r\npreamble']);
    expect(searchPieces(DELIMITER, oneBytePieces(bytes('--AaB03x rest')), 2)).toEqual([MATCH, ' rest']);
    expect(() => new StreamSearch(bytes('ab')).reset(2)).toThrow(RangeError);
  });

  it('needles are 1 to 255 bytes', () => {
    expect(() => new StreamSearch(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new StreamSearch(new Uint8Array(MAX_NEEDLE_LENGTH + 1))).toThrow(RangeError);
    expect(new StreamSearch(new Uint8Array(MAX_NEEDLE_LENGTH)).needle.length).toBe(MAX_NEEDLE_LENGTH);
  });

  it('keeps its own copy of the needle, so neither the caller nor a consumer can change what it finds', () => {
    const needle = bytes('\r\n--xy');
    const search = new StreamSearch(needle);
    needle.fill(0);
    const chunk = bytes('a\r\n--x');
    search.step(chunk, 0, chunk.length);
    const next = bytes('Z');
    search.step(next, 0, 1);
    expect(search.isDataSafe).toBe(false);
    search.dataBuf.fill(0); // a careless consumer
    const again = bytes('\r\n--xy');
    expect(search.step(again, 0, again.length)).toBe(again.length);
    expect(search.found).toBe(Found.MATCH);
  });

  it('random needles and haystacks over a small alphabet, at random splits (fast-check)', () => {
    const alphabet = fc.constantFrom(...'ab\r\n-');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, minLength: 1, maxLength: 6 }),
        fc.string({ unit: alphabet, maxLength: 80 }),
        fc.array(fc.nat(80), { maxLength: 10 }),
        (needle, haystack, cuts) => {
          expect(searchPieces(needle, splitAt(bytes(haystack), cuts))).toEqual(naive(needle, haystack));
        },
      ),
      { numRuns: runs(400) },
    );
  });
});
