/**
 * The Range field for bytes (RFC 9110 §14.1–§14.2) as a table, and properties: every range
 * handed out lies inside the representation, and a response is never much larger than it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RANGES, contentRange, parseRange, unsatisfiedRange, type RangeRequest } from '../../src/http/static/range.js';
import { runs } from '../support/runs.js';

const ranges = (...pairs: [number, number][]): RangeRequest => ({ kind: 'ranges', ranges: pairs.map(([start, end]) => ({ start, end })) });
const WHOLE: RangeRequest = { kind: 'whole' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };

describe('parseRange (size 10000 unless said)', () => {
  it.each<[string, RangeRequest]>([
    // §14.1.2 examples
    ['bytes=0-499', ranges([0, 499])],
    ['bytes=500-999', ranges([500, 999])],
    ['bytes=-500', ranges([9500, 9999])],
    ['bytes=9500-', ranges([9500, 9999])],
    ['bytes=0-0,-1', ranges([0, 0], [9999, 9999])],
    ['bytes= 0-999, 4500-5499, -1000', ranges([0, 999], [4500, 5499], [9000, 9999])],
    // last-pos past the end is the end; suffix longer than the file is the file
    ['bytes=9000-20000', ranges([9000, 9999])],
    ['bytes=-20000', ranges([0, 9999])],
    ['bytes=0-', ranges([0, 9999])],
    // the unit is case-insensitive; OWS around elements and empty elements are fine (§5.6.1)
    ['Bytes=1-2', ranges([1, 2])],
    ['BYTES=1-2', ranges([1, 2])],
    ['bytes=1-2 ,\t3-4', ranges([1, 2], [3, 4])],
    ['bytes=,1-2,,3-4,', ranges([1, 2], [3, 4])],
    // order is kept (§14.6 allows reordering, does not require it)
    ['bytes=500-599,0-99', ranges([500, 599], [0, 99])],
    // unsatisfiable members are dropped from a set that has satisfiable ones (§14.1.1)
    ['bytes=0-9,20000-30000', ranges([0, 9])],
    ['bytes=-0,5-6', ranges([5, 6])],
    // nothing satisfiable → 416
    ['bytes=10000-', UNSATISFIABLE],
    ['bytes=10000-10005', UNSATISFIABLE],
    ['bytes=-0', UNSATISFIABLE],
    ['bytes=20000-,30000-40000', UNSATISFIABLE],
    ['bytes=99999999999999999999-', UNSATISFIABLE],
    // other units are ignored (§14.2: MUST)
    ['items=0-5', WHOLE],
    ['bytes 0-5', WHOLE],
    ['0-5', WHOLE],
    // invalid range-sets are ignored (§14.2: MAY)
    ['bytes=', WHOLE],
    ['bytes=,', WHOLE],
    ['bytes=5-4', WHOLE],
    ['bytes=a-b', WHOLE],
    ['bytes=1-2-3', WHOLE],
    ['bytes=-', WHOLE],
    ['bytes=--5', WHOLE],
    ['bytes=1', WHOLE],
    ['bytes=0-1,x', WHOLE],
    ['bytes=+1-2', WHOLE],
    ['bytes=0x1-2', WHOLE],
    ['bytes=1 - 2', WHOLE],
    // ranges adding up to more than the file: an overlap attack, ignored (§14.2)
    ['bytes=0-,0-', WHOLE],
    ['bytes=0-9999,5000-5001', WHOLE],
  ])('%j', (value, expected) => {
    expect(parseRange(value, 10_000)).toEqual(expected);
  });

  it(`honours up to ${MAX_RANGES} ranges and ignores more (§14.2)`, () => {
    const spec = (n: number): string => 'bytes=' + Array.from({ length: n }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',');
    const honoured = parseRange(spec(MAX_RANGES), 10_000);
    expect(honoured.kind === 'ranges' && honoured.ranges.length).toBe(MAX_RANGES);
    expect(parseRange(spec(MAX_RANGES + 1), 10_000)).toEqual(WHOLE);
    expect(parseRange(spec(3), 10_000, 2)).toEqual(WHOLE);
  });

  it('sends an empty representation whole: no Content-Range can describe a range of it', () => {
    for (const value of ['bytes=0-', 'bytes=-5', 'bytes=0-0']) expect(parseRange(value, 0)).toEqual(WHOLE);
  });

  it('writes Content-Range (§14.4)', () => {
    expect(contentRange({ start: 0, end: 499 }, 1234)).toBe('bytes 0-499/1234');
    expect(unsatisfiedRange(1234)).toBe('bytes */1234');
  });
});

describe('parseRange properties', () => {
  const spec = fc.oneof(
    fc.tuple(fc.nat(3000), fc.option(fc.nat(3000), { nil: undefined })).map(([a, b]) => `${a}-${b ?? ''}`),
    fc.nat(3000).map((n) => `-${n}`),
    fc.constantFrom('', ' ', 'x', '-', '5-1', '99999999999999999999-'),
  );
  const header = fc.tuple(fc.constantFrom('bytes', 'Bytes', 'items', ''), fc.array(spec, { maxLength: 20 })).map(([unit, specs]) => `${unit}=${specs.join(',')}`);

  it('every range lies within the representation, and together they are never larger than it', () => {
    fc.assert(
      fc.property(header, fc.nat(2500), (value, size) => {
        const result = parseRange(value, size);
        if (result.kind !== 'ranges') return;
        expect(result.ranges.length).toBeGreaterThan(0);
        expect(result.ranges.length).toBeLessThanOrEqual(MAX_RANGES);
        let total = 0;
        for (const { start, end } of result.ranges) {
          expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
          expect(0 <= start && start <= end && end < size).toBe(true);
          total += end - start + 1;
        }
        expect(total).toBeLessThanOrEqual(size);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('a single int-range within the file is honoured exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(size - 1))), ([size, a, b]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(parseRange(`bytes=${start}-${end}`, size)).toEqual(ranges([start, end]));
      }),
      { numRuns: runs(500) },
    );
  });
});
