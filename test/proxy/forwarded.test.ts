/**
 * `Forwarded` (RFC 7239) and `X-Forwarded-For`/`X-Forwarded-Proto`: the parsers as tables named
 * for the RFC's sections, and the resolution of the client from a chain of proxies, walked from the
 * right over trusted hops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseForwarded,
  parseForwardedFor,
  parseNode,
  resolveForwarded,
  splitList,
  type ForwardedElement,
  type ForwardedNode,
} from '../../src/http/forwarded.js';
import { AddressMatcher } from '../../src/net/ip.js';
import { runs } from '../support/runs.js';

describe('RFC 7239 §4 Forwarded HTTP header field: syntax', () => {
  const valid: [string, string[], ForwardedElement[]][] = [
    ['§4 a single pair', ['for=192.0.2.43'], [{ for: '192.0.2.43' }]],
    ['§4 example: several elements', ['for=192.0.2.43, for=198.51.100.17;by=203.0.113.60;proto=http;host=example.com'], [
      { for: '192.0.2.43' },
      { for: '198.51.100.17', by: '203.0.113.60', proto: 'http', host: 'example.com' },
    ]],
    ['§4 parameter names are case-insensitive', ['For=1.2.3.4;PROTO=https'], [{ for: '1.2.3.4', proto: 'https' }]],
    ['§4 a quoted-string value, quotes removed', ['for="_gazonk"'], [{ for: '_gazonk' }]],
    ['§4 quoted-pair inside a quoted-string', ['for="a\\"b\\\\c"'], [{ for: 'a"b\\c' }]],
    ['§4 a comma inside a quoted-string does not split', ['for="a,b";proto=http, for=c'], [{ for: 'a,b', proto: 'http' }, { for: 'c' }]],
    ['§4 multiple field lines are one list (RFC 9110 §5.3)', ['for=192.0.2.43', 'for=198.51.100.17'], [{ for: '192.0.2.43' }, { for: '198.51.100.17' }]],
    ['§4 OWS around commas and empty list members', [' for=a ,, for=b ,'], [{ for: 'a' }, { for: 'b' }]],
    ['§4 OWS around ";" is tolerated', ['for=a ; proto=https'], [{ for: 'a', proto: 'https' }]],
    ['§5.5 extension parameters are kept apart', ['for=a;secret=x'], [{ for: 'a', extensions: { secret: 'x' } }]],
    ['§6.1 an IPv6 node is quoted with brackets and a port', ['For="[2001:db8:cafe::17]:4711"'], [{ for: '[2001:db8:cafe::17]:4711' }]],
  ];
  for (const [name, values, expected] of valid) {
    it(name, () => expect(parseForwarded(values)).toEqual(expected));
  }

  const malformed: [string, string[]][] = [
    ['§4 a parameter twice in one element', ['for=a;for=b']],
    ['§4 a pair without "="', ['for']],
    ['§4 an empty value', ['for=']],
    ['§4 a name that is not a token', ['f r=a']],
    ['§4 an unterminated quoted-string', ['for="abc']],
    ['§4 a control character in a quoted-string', ['for="a\u0001b"']],
    ['§4 a value that is neither token nor quoted-string', ['for=[::1]']],
    ['§4 text after a quoted-string', ['for="a"b']],
    ['§4 an empty pair between ";"', ['for=a;;proto=http']],
    ['§6.1 an unquoted IPv4 node with a port (":" is not a token character)', ['for=1.2.3.4:80']],
  ];
  for (const [name, values] of malformed) {
    it(`${name} makes the field malformed`, () => expect(parseForwarded(values)).toBeNull());
  }
});

describe('RFC 7239 §6 node identifiers', () => {
  const nodes: [string, string, ForwardedNode | null][] = [
    ['§6 an IPv4 address', '192.0.2.43', { address: '192.0.2.43', port: 0, family: 'IPv4' }],
    ['§6 an IPv4 address with a port', '192.0.2.43:47011', { address: '192.0.2.43', port: 47011, family: 'IPv4' }],
    ['§6 an IPv6 address in brackets', '[2001:db8:cafe::17]', { address: '2001:db8:cafe::17', port: 0, family: 'IPv6' }],
    ['§6 an IPv6 address in brackets with a port', '[2001:DB8:cafe::17]:4711', { address: '2001:db8:cafe::17', port: 4711, family: 'IPv6' }],
    ['§6 an IPv4-mapped address in brackets', '[::ffff:127.0.0.1]:1', { address: '::ffff:127.0.0.1', port: 1, family: 'IPv6' }],
    ['§6.2 unknown', 'unknown', { address: 'unknown', port: 0, family: '' }],
    ['§6.3 an obfuscated identifier', '_hidden', { address: '_hidden', port: 0, family: '' }],
    ['§6.3 an obfuscated port reads as 0', '192.0.2.43:_p1', { address: '192.0.2.43', port: 0, family: 'IPv4' }],
    ['§6 an IPv6 address without brackets', '2001:db8::1', null],
    ['§6 a port over 65535', '192.0.2.43:65536', null],
    ['§6 an empty port', '192.0.2.43:', null],
    ['§6 an unclosed bracket', '[::1', null],
    ['§6 an IPv4 address in brackets', '[192.0.2.43]', null],
    ['§6 a host name', 'example.com', null],
    ['§6.3 an obfuscated identifier with a forbidden character', '_a/b', null],
  ];
  for (const [name, text, expected] of nodes) {
    it(`${name}: ${text}`, () => expect(parseNode(text)).toEqual(expected));
  }
});

describe('X-Forwarded-For entries', () => {
  const entries: [string, ForwardedNode | null][] = [
    ['203.0.113.7', { address: '203.0.113.7', port: 0, family: 'IPv4' }],
    ['2001:DB8::7', { address: '2001:db8::7', port: 0, family: 'IPv6' }],
    ['203.0.113.7:8080', { address: '203.0.113.7', port: 8080, family: 'IPv4' }],
    ['[2001:db8::7]:8080', { address: '2001:db8::7', port: 8080, family: 'IPv6' }],
    ['unknown', null],
    ['_hidden', null],
    ['example.com', null],
    ['', null],
  ];
  for (const [text, expected] of entries) {
    it(`${JSON.stringify(text)} → ${expected === null ? 'malformed' : expected.address}`, () => expect(parseForwardedFor(text)).toEqual(expected));
  }
});

/** Header fields as a request has them. */
function headers(fields: Record<string, string | string[]>): { getAll(name: string): string[] } {
  return {
    getAll(name: string): string[] {
      const value = fields[name.toLowerCase()];
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    },
  };
}

const loopback = new AddressMatcher(['127.0.0.1']);
const chain = new AddressMatcher(['127.0.0.1', '10.0.0.0/8']);

describe('resolution: the client is the first untrusted hop from the right', () => {
  const cases: [string, Record<string, string | string[]>, AddressMatcher, string | null, number, string | null][] = [
    ['X-Forwarded-For: one entry', { 'x-forwarded-for': '203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['X-Forwarded-For: a client-sent entry on the left is not believed', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['X-Forwarded-For: trusted hops are skipped', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2, 10.0.0.3' }, chain, '203.0.113.7', 0, null],
    ['X-Forwarded-For: every hop trusted → the leftmost', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }, chain, '10.0.0.1', 0, null],
    ['X-Forwarded-For: several field lines', { 'x-forwarded-for': ['203.0.113.7', '10.0.0.2'] }, chain, '203.0.113.7', 0, null],
    ['X-Forwarded-For: a malformed entry stops the walk at the last vouched-for hop', { 'x-forwarded-for': '203.0.113.7, garbage, 10.0.0.2' }, chain, '10.0.0.2', 0, null],
    ['X-Forwarded-For: a malformed rightmost entry leaves the peer', { 'x-forwarded-for': '203.0.113.7, garbage' }, chain, null, 0, null],
    ['X-Forwarded-For: client-sent garbage on the left does not matter', { 'x-forwarded-for': 'garbage, 203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['X-Forwarded-For with a port', { 'x-forwarded-for': '203.0.113.7:4321' }, loopback, '203.0.113.7', 4321, null],
    ['X-Forwarded-Proto set by the last proxy', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, loopback, '203.0.113.7', 0, 'https'],
    ['X-Forwarded-Proto appended per hop, aligned from the right', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'https, http' }, chain, '203.0.113.7', 0, 'https'],
    ['X-Forwarded-Proto: one entry for a longer chain is the nearest known', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'HTTPS' }, chain, '203.0.113.7', 0, 'https'],
    ['X-Forwarded-Proto alone', { 'x-forwarded-proto': 'https' }, loopback, null, 0, 'https'],
    ['X-Forwarded-Proto: another scheme is ignored', { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'ftp' }, loopback, '203.0.113.7', 0, null],
    ['§5.2 Forwarded for=', { forwarded: 'for=203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['§5.2 Forwarded for= with a port', { forwarded: 'for="203.0.113.7:4711"' }, loopback, '203.0.113.7', 4711, null],
    ['§6.1 Forwarded for= IPv6 with a port', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, loopback, '2001:db8:cafe::17', 4711, null],
    ['§5.4 Forwarded proto= of the client’s element', { forwarded: 'for=203.0.113.7;proto=https, for=10.0.0.2;proto=http' }, chain, '203.0.113.7', 0, 'https'],
    ['§5.4 Forwarded proto= only', { forwarded: 'proto=https' }, loopback, null, 0, 'https'],
    ['§4 Forwarded: a client-sent element on the left is not believed', { forwarded: 'for=6.6.6.6, for=203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['§4 Forwarded: a malformed element stops the walk', { forwarded: 'for=203.0.113.7, for=a;for=b, for=10.0.0.2' }, chain, '10.0.0.2', 0, null],
    ['§4 Forwarded: client-sent garbage on the left does not matter', { forwarded: 'for="unterminated, for=203.0.113.7' }, loopback, null, 0, null],
    ['§6.2 Forwarded for=unknown is the client, untrusted by nature', { forwarded: 'for=unknown' }, loopback, 'unknown', 0, null],
    ['§6.3 Forwarded for=_hidden is the client', { forwarded: 'for=_hidden, for=10.0.0.2' }, chain, '_hidden', 0, null],
    ['§8.1 X-Forwarded-For comes before Forwarded (what most proxies append)', { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '203.0.113.7' }, loopback, '203.0.113.7', 0, null],
    ['no forwarding headers', {}, loopback, null, 0, null],
  ];
  for (const [name, fields, trust, address, port, protocol] of cases) {
    it(name, () => {
      const resolved = resolveForwarded(headers(fields), trust);
      expect(resolved.client?.address ?? null).toBe(address);
      if (address !== null) expect(resolved.client?.port).toBe(port);
      expect(resolved.protocol).toBe(protocol);
    });
  }

  it('on any input: never throws, and with no hop trusted the client is the rightmost entry or none', () => {
    const nobody = new AddressMatcher(['192.0.2.255']);
    const text = fc.string({ unit: fc.constantFrom(...'for=_"[]:;,. \\1290abcdef'.split('')), maxLength: 60 });
    fc.assert(
      fc.property(text, text, (forwarded, xff) => {
        const fromXff = resolveForwarded(headers({ 'x-forwarded-for': xff }), nobody).client;
        const xffEntries = splitList([xff]) ?? [];
        const last = xffEntries.length === 0 ? null : parseForwardedFor(xffEntries[xffEntries.length - 1]!);
        expect(fromXff).toEqual(last);
        const fromForwarded = resolveForwarded(headers({ forwarded }), nobody).client;
        const elements = splitList([forwarded]) ?? [];
        const element = elements.length === 0 ? null : parseForwarded([elements[elements.length - 1]!])?.[0];
        const node = element?.for === undefined ? null : parseNode(element.for);
        expect(fromForwarded).toEqual(node);
      }),
      { numRuns: runs(1000) },
    );
  });
});
