/**
 * From a request path to names inside the served folder, without a file system: every known way
 * of stepping out is refused (403), and a property checks that no target of any shape yields a
 * name that could leave the folder once joined onto it.
 */
import fc from 'fast-check';
import { posix, win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSegment, encodeName, encodePath, isPlainName, parseStaticPath, type StaticPath } from '../../src/http/static/paths.js';
import { runs } from '../support/runs.js';

const at = (rawPath: string, prefix: string[] = [], dotfiles = false): StaticPath => parseStaticPath(rawPath, { prefix, dotfiles });
const ok = (names: string[], trailingSlash = false): StaticPath => ({ ok: true, names, trailingSlash });

describe('parseStaticPath', () => {
  it.each<[string, StaticPath]>([
    ['/', ok([], true)],
    ['/a.txt', ok(['a.txt'])],
    ['/dir/', ok(['dir'], true)],
    ['/dir/sub/file.html', ok(['dir', 'sub', 'file.html'])],
    ['/with%20space.txt', ok(['with space.txt'])],
    ['/caf%C3%A9', ok(['café'])],
    ['/100%.txt', ok(['100%.txt'])], // a "%" without two hex digits is itself
    ['/a%2Bb', ok(['a+b'])],
    ['/a+b', ok(['a+b'])], // "+" is a space only in queries
    ['/a../b..c', ok(['a..', 'b..c'])], // names that merely hold dots
    // empty segments are dropped: the names stay relative to the folder
    ['//etc/passwd', ok(['etc', 'passwd'])],
    ['/a//b', ok(['a', 'b'])],
    ['///', ok([], true)],
  ])('%j', (rawPath, expected) => {
    expect(at(rawPath)).toEqual(expected);
  });

  it.each([
    '/..',
    '/../etc/passwd',
    '/a/../../etc/passwd',
    '/.',
    '/./a',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E/secret',
    '/.%2e/secret',
    '/%2e./secret',
    '/%2e',
    '/..%2fetc/passwd',
    '/..%2Fetc%2Fpasswd',
    '/a%2f..%2f..%2fb',
    '/..\\..\\etc\\passwd',
    '/static/..\\..\\',
    '/a\\b',
    '/%5c..%5c..%5cetc',
    '/%00',
    '/a%00.txt',
    '/a%0d%0aX',
    '/a%09b',
    '/a%7fb',
    '/%2fetc/passwd',
  ])('refuses %j with 403', (rawPath) => {
    expect(at(rawPath)).toEqual({ ok: false, status: 403 });
  });

  it.each([
    ['*', 'asterisk-form'],
    ['', 'authority-form'],
    ['/%ff', 'not UTF-8'],
    ['/%c3', 'a truncated UTF-8 sequence'],
    ['/%ed%a0%80', 'an encoded surrogate'],
  ])('answers %j (%s) with 404', (rawPath) => {
    expect(at(rawPath)).toEqual({ ok: false, status: 404 });
  });

  it('names that merely start with dots are dotfiles, not dot-segments', () => {
    expect(at('/..a/...', [], true)).toEqual(ok(['..a', '...']));
    expect(at('/..a')).toEqual({ ok: false, status: 404 });
  });

  it('hides dotfiles unless allowed', () => {
    expect(at('/.env')).toEqual({ ok: false, status: 404 });
    expect(at('/a/.git/config')).toEqual({ ok: false, status: 404 });
    expect(at('/%2egit/config')).toEqual({ ok: false, status: 404 });
    expect(at('/.env', [], true)).toEqual(ok(['.env']));
    expect(at('/.well-known/x', [], true)).toEqual(ok(['.well-known', 'x']));
  });

  it('strips a prefix, compared after decoding, and refuses what is outside it', () => {
    expect(at('/static/a.css', ['static'])).toEqual(ok(['a.css']));
    expect(at('/static/', ['static'])).toEqual(ok([], true));
    expect(at('/static', ['static'])).toEqual(ok([]));
    expect(at('/%73tatic/a.css', ['static'])).toEqual(ok(['a.css']));
    expect(at('/staticx/a.css', ['static'])).toEqual({ ok: false, status: 404 });
    expect(at('/', ['static'])).toEqual({ ok: false, status: 404 });
    expect(at('/other/static/a.css', ['static'])).toEqual({ ok: false, status: 404 });
    expect(at('/static/../a', ['static'])).toEqual({ ok: false, status: 403 });
    expect(at('/static%2f..%2fa', ['static'])).toEqual({ ok: false, status: 403 });
    expect(at('/a/b/c', ['a', 'b'])).toEqual(ok(['c']));
  });

  it('a dot-prefix is only checked below the prefix', () => {
    expect(at('/.well-known/a', ['.well-known'])).toEqual(ok(['a']));
  });
});

describe('decodeSegment', () => {
  it.each<[string, string | null]>([
    ['plain', 'plain'],
    ['a%20b', 'a b'],
    ['%E2%82%AC', '€'],
    ['%e2%82%ac', '€'],
    ['%', '%'],
    ['%4', '%4'],
    ['%zz', '%zz'],
    ['%2', '%2'],
    ['a%2', 'a%2'],
    ['%80', null],
    ['%C0%AF', null], // an overlong "/": not UTF-8
    ['%F0%9F%98%80', '😀'],
  ])('%j → %j', (segment, decoded) => {
    expect(decodeSegment(segment)).toBe(decoded);
  });
});

describe('isPlainName, encodeName, encodePath', () => {
  it('isPlainName accepts names of one entry only', () => {
    for (const name of ['a', '..a', 'a..', '...', 'a b', 'é', '%2e%2e']) expect(isPlainName(name), name).toBe(true);
    for (const name of ['.', '..', 'a/b', 'a\\b', 'a\0b', 'a\nb', '\x7f']) expect(isPlainName(name), JSON.stringify(name)).toBe(false);
  });

  it('encodes names so that they stay one relative segment', () => {
    expect(encodeName('a b#?%/:')).toBe('a%20b%23%3F%25%2F%3A');
    expect(encodeName('javascript:alert(1)')).toBe('javascript%3Aalert(1)');
    expect(encodeName('\ud800')).toBe('%EF%BF%BD');
    expect(encodePath([], true)).toBe('/');
    expect(encodePath([], false)).toBe('/');
    expect(encodePath(['a b', 'c'], true)).toBe('/a%20b/c/');
    expect(encodePath(['evil.example'], true)).toBe('/evil.example/');
  });
});

describe('parseStaticPath properties', () => {
  const piece = fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '%2F', '%5c', '\\', '/', '%00', '%', 'a', 'b', '%c3%a9', '%ff', ':', 'C:', '~', '%252e');
  const target = fc.array(piece, { maxLength: 16 }).map((pieces) => '/' + pieces.join(''));

  it('no names ever step out of the folder once joined onto it (POSIX and Windows)', () => {
    fc.assert(
      fc.property(target, fc.boolean(), (rawPath, dotfiles) => {
        const result = parseStaticPath(rawPath, { prefix: [], dotfiles });
        if (!result.ok) {
          expect([403, 404]).toContain(result.status);
          return;
        }
        for (const name of result.names) expect(isPlainName(name), JSON.stringify(name)).toBe(true);
        const root = '/srv/root';
        const joined = posix.join(root, ...result.names);
        expect(joined === root || joined.startsWith(root + '/'), joined).toBe(true);
        const winRoot = 'C:\\srv\\root';
        const winJoined = win32.join(winRoot, ...result.names);
        expect(winJoined === winRoot || winJoined.startsWith(winRoot + '\\'), winJoined).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('names survive encodePath and parsing back', () => {
    const name = fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }).filter((n) => isPlainName(n) && !n.startsWith('.'));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 5 }), fc.boolean(), (names, slash) => {
        expect(parseStaticPath(encodePath(names, slash), { prefix: [], dotfiles: false })).toEqual(ok(names, slash || names.length === 0));
      }),
      { numRuns: runs(500) },
    );
  });
});
