/**
 * Conditional requests without a server (RFC 9110 §13): the three HTTP-date formats, entity-tag
 * lists, strong and weak comparison, the precedence of §13.2.2, and If-Range (§13.1.5).
 */
import { describe, expect, it } from 'vitest';
import {
  evaluatePreconditions,
  formatHttpDate,
  parseEntityTags,
  parseHttpDate,
  rangeConditionHolds,
  strongMatch,
  weakEtag,
  weakMatch,
  type FieldLookup,
  type Precondition,
  type Validators,
} from '../../src/http/static/conditional.js';

const SUNDAY = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  it('reads the three formats a recipient MUST accept', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(SUNDAY);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2025, 0, 1))).toBe(SUNDAY);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(SUNDAY);
    expect(parseHttpDate('Sun Nov 16 08:49:37 1994')).toBe(Date.UTC(1994, 10, 16, 8, 49, 37));
  });

  it('takes a two-digit year more than 50 years ahead as the last century (§5.6.7)', () => {
    const now = Date.UTC(2025, 5, 1);
    expect(parseHttpDate('Monday, 01-Jan-75 00:00:00 GMT', now)).toBe(Date.UTC(2075, 0, 1));
    expect(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', now)).toBe(Date.UTC(1976, 0, 1));
    expect(parseHttpDate('Monday, 01-Jan-25 00:00:00 GMT', now)).toBe(Date.UTC(2025, 0, 1));
  });

  it.each([
    '',
    'yesterday',
    '1994-11-06T08:49:37Z',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 06 Nov 1994 08:49:37',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'sun, 06 nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 94 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 00 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    ' Sun, 06 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT',
  ])('refuses %j', (text) => {
    expect(parseHttpDate(text)).toBeUndefined();
  });

  it('writes IMF-fixdate and reads it back', () => {
    expect(formatHttpDate(SUNDAY)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    for (const ms of [0, SUNDAY, Date.UTC(2038, 0, 19, 3, 14, 8), Date.UTC(2099, 11, 31, 23, 59, 59)]) expect(parseHttpDate(formatHttpDate(ms))).toBe(ms);
  });
});

describe('entity-tags (RFC 9110 §8.8.3)', () => {
  it('parses lists over several field lines, and "*"', () => {
    expect(parseEntityTags(['"a", W/"b"', '"c"'])).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: false, opaque: '"c"' },
    ]);
    expect(parseEntityTags(['*'])).toBe('*');
    expect(parseEntityTags([' * '])).toBe('*');
    expect(parseEntityTags(['""'])).toEqual([{ weak: false, opaque: '""' }]);
    expect(parseEntityTags(['"a",,  ,"b"'])).toHaveLength(2);
  });

  it.each([['a'], ['"a'], ['w/"a"'], ['"a" "b"'], ['"a"b'], ['*, "a"'], ['"a b"'], [''], []])('ignores the malformed %j', (...values) => {
    expect(parseEntityTags(values)).toBeUndefined();
  });

  it('compares strongly and weakly (§8.8.3.2 table)', () => {
    const [w1, w1b, w2, s1] = [
      { weak: true, opaque: '"1"' },
      { weak: true, opaque: '"1"' },
      { weak: true, opaque: '"2"' },
      { weak: false, opaque: '"1"' },
    ];
    expect([strongMatch(w1, w1b), weakMatch(w1, w1b)]).toEqual([false, true]);
    expect([strongMatch(w1, w2), weakMatch(w1, w2)]).toEqual([false, false]);
    expect([strongMatch(w1, s1), weakMatch(w1, s1)]).toEqual([false, true]);
    expect([strongMatch(s1, s1), weakMatch(s1, s1)]).toEqual([true, true]);
  });

  it('makes a weak ETag from size and modification time', () => {
    expect(weakEtag(12345, 1700000000123.456)).toBe('W/"3039-18bcfe5687b"');
    expect(weakEtag(0, 0)).toBe('W/"0-0"');
  });
});

/** A Fields stand-in: lower-case names, several lines per name. */
function fields(entries: Record<string, string | string[]>): FieldLookup {
  const map = new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? [v] : v]));
  return { get: (name) => map.get(name.toLowerCase())?.[0], getAll: (name) => map.get(name.toLowerCase()) ?? [] };
}

const MODIFIED = Date.UTC(2024, 0, 15, 12, 0, 0);
const V: Validators = { etag: 'W/"abc"', lastModified: MODIFIED };
const BEFORE = formatHttpDate(MODIFIED - 1000);
const AT = formatHttpDate(MODIFIED);
const AFTER = formatHttpDate(MODIFIED + 1000);

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it.each<[string, Record<string, string | string[]>, string, Precondition]>([
    ['no preconditions', {}, 'GET', 'proceed'],
    // If-None-Match (§13.1.2): weak comparison
    ['If-None-Match matching weakly', { 'If-None-Match': 'W/"abc"' }, 'GET', 'not-modified'],
    ['If-None-Match with the strong form of the tag', { 'If-None-Match': '"abc"' }, 'GET', 'not-modified'],
    ['If-None-Match in a list', { 'If-None-Match': '"x", W/"abc"' }, 'HEAD', 'not-modified'],
    ['If-None-Match on a second line', { 'If-None-Match': ['"x"', 'W/"abc"'] }, 'GET', 'not-modified'],
    ['If-None-Match: *', { 'If-None-Match': '*' }, 'GET', 'not-modified'],
    ['If-None-Match not matching', { 'If-None-Match': '"other"' }, 'GET', 'proceed'],
    ['If-None-Match for another method', { 'If-None-Match': 'W/"abc"' }, 'DELETE', 'failed'],
    // If-Modified-Since (§13.1.3)
    ['If-Modified-Since at Last-Modified', { 'If-Modified-Since': AT }, 'GET', 'not-modified'],
    ['If-Modified-Since after', { 'If-Modified-Since': AFTER }, 'GET', 'not-modified'],
    ['If-Modified-Since before', { 'If-Modified-Since': BEFORE }, 'GET', 'proceed'],
    ['If-Modified-Since invalid', { 'If-Modified-Since': 'not a date' }, 'GET', 'proceed'],
    ['If-Modified-Since twice', { 'If-Modified-Since': [AT, AT] }, 'GET', 'proceed'],
    ['If-Modified-Since for another method', { 'If-Modified-Since': AT }, 'POST', 'proceed'],
    ['If-None-Match wins over If-Modified-Since (not matching)', { 'If-None-Match': '"other"', 'If-Modified-Since': AFTER }, 'GET', 'proceed'],
    ['If-None-Match wins over If-Modified-Since (matching)', { 'If-None-Match': 'W/"abc"', 'If-Modified-Since': BEFORE }, 'GET', 'not-modified'],
    // If-Match (§13.1.1): strong comparison, so a weak ETag never matches; "*" does
    ['If-Match with the weak tag', { 'If-Match': 'W/"abc"' }, 'GET', 'failed'],
    ['If-Match with the strong form', { 'If-Match': '"abc"' }, 'GET', 'failed'],
    ['If-Match: *', { 'If-Match': '*' }, 'GET', 'proceed'],
    // If-Unmodified-Since (§13.1.4)
    ['If-Unmodified-Since at Last-Modified', { 'If-Unmodified-Since': AT }, 'GET', 'proceed'],
    ['If-Unmodified-Since before', { 'If-Unmodified-Since': BEFORE }, 'GET', 'failed'],
    ['If-Unmodified-Since invalid', { 'If-Unmodified-Since': 'soon' }, 'GET', 'proceed'],
    ['If-Match wins over If-Unmodified-Since', { 'If-Match': '*', 'If-Unmodified-Since': BEFORE }, 'GET', 'proceed'],
    // step 1/2 before step 3/4
    ['a failed If-Match wins over a matching If-None-Match', { 'If-Match': '"x"', 'If-None-Match': '*' }, 'GET', 'failed'],
    ['a failed If-Unmodified-Since wins over If-Modified-Since', { 'If-Unmodified-Since': BEFORE, 'If-Modified-Since': AFTER }, 'GET', 'failed'],
  ])('%s', (_title, entries, method, expected) => {
    expect(evaluatePreconditions(fields(entries), V, method)).toBe(expected);
  });
});

describe('rangeConditionHolds (If-Range, RFC 9110 §13.1.5)', () => {
  it('an entity-tag must match strongly, so a weak ETag never does', () => {
    expect(rangeConditionHolds('W/"abc"', V)).toBe(false);
    expect(rangeConditionHolds('"abc"', V)).toBe(false);
    expect(rangeConditionHolds('"abc"', { ...V, etag: '"abc"' })).toBe(true);
    expect(rangeConditionHolds('"abd"', { ...V, etag: '"abc"' })).toBe(false);
  });

  it('a date must equal Last-Modified exactly', () => {
    expect(rangeConditionHolds(AT, V)).toBe(true);
    expect(rangeConditionHolds(AFTER, V)).toBe(false);
    expect(rangeConditionHolds(BEFORE, V)).toBe(false);
    expect(rangeConditionHolds('Monday, 15-Jan-24 12:00:00 GMT', V)).toBe(true);
    expect(rangeConditionHolds('garbage', V)).toBe(false);
    expect(rangeConditionHolds('', V)).toBe(false);
  });
});
