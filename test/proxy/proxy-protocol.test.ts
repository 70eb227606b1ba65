/**
 * The PROXY protocol header parser (HAProxy's proxy-protocol.txt, §2.1 v1 and §2.2 v2): tables of
 * valid and invalid headers, each replayed whole, one byte at a time and at random splits with
 * garbage after the end; serialize → parse round trips; random and mutated bytes only ever give
 * the parser's own errors.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NET_ERROR_CODES } from '../../src/net/errors.js';
import {
  MAX_V1_HEADER_BYTES,
  MAX_V2_ADDRESS_BYTES,
  ProxyHeaderParser,
  serializeProxyV1,
  serializeProxyV2,
  type ProxyEndpoint,
  type ProxyHeader,
} from '../../src/net/proxy-protocol.js';
import { runs } from '../support/runs.js';

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
const SIGNATURE = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** What follows a header in the tests: a request, so a read past the header's end shows. */
const AFTER = latin1('GET / HTTP/1.1\r\n\r\n');

interface Outcome {
  header: ProxyHeader | null;
  code: string | null;
  /** Bytes consumed in total when the header completed (its length), or -1. */
  consumed: number;
}

/** Feeds `input` in pieces cut at `cuts`; every piece is copied into a buffer with garbage around it. */
function parse(input: Uint8Array, cuts: readonly number[] = []): Outcome {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const parser = new ProxyHeaderParser();
  let consumed = 0;
  let start = 0;
  for (const end of [...points, input.length]) {
    const piece = input.subarray(start, end);
    const framed = new Uint8Array(piece.length + 8).fill(0x41);
    framed.set(piece, 4);
    const used = parser.execute(framed, 4, 4 + piece.length);
    consumed += used;
    if (parser.error !== null || parser.done) break;
    expect(used).toBe(piece.length);
    start = end;
  }
  if (!parser.done && parser.error === null) parser.finish();
  return { header: parser.header, code: parser.error?.code ?? null, consumed: parser.done ? consumed : -1 };
}

const v4 = (address: string, port: number): ProxyEndpoint => ({ address, port, family: 'IPv4' });
const v6 = (address: string, port: number): ProxyEndpoint => ({ address, port, family: 'IPv6' });

describe('§2.1 version 1 (human-readable)', () => {
  const valid: [string, string, Partial<ProxyHeader>][] = [
    ['TCP4', 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n', { source: v4('192.168.0.1', 56324), destination: v4('192.168.0.11', 443) }],
    ['TCP4 largest', 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n', { source: v4('255.255.255.255', 65535) }],
    ['TCP4 port 0', 'PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n', { source: v4('0.0.0.0', 0), destination: v4('10.0.0.1', 0) }],
    ['TCP6 compressed', 'PROXY TCP6 ::1 ::1 1234 80\r\n', { source: v6('::1', 1234) }],
    ['TCP6 full, upper case → canonical', 'PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 fe80::1 1 2\r\n', { source: v6('2001:db8::1', 1) }],
    ['TCP6 IPv4-mapped', 'PROXY TCP6 ::ffff:10.1.2.3 ::ffff:10.0.0.1 5 6\r\n', { source: v6('::ffff:10.1.2.3', 5) }],
    ['UNKNOWN short form', 'PROXY UNKNOWN\r\n', { source: null, destination: null, command: 'proxy' }],
    [
      'UNKNOWN worst case, 107 bytes',
      `PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`,
      { source: null },
    ],
    ['UNKNOWN with anything after it', 'PROXY UNKNOWN whatever\tgoes here\r\n', { source: null }],
  ];
  for (const [name, line, expected] of valid) {
    it(`accepts ${name}, whole, byte by byte and at every cut`, () => {
      const input = concat(latin1(line), AFTER);
      const whole = parse(input);
      expect(whole.code).toBeNull();
      expect(whole.header).toMatchObject({ version: 1, length: line.length, ...expected });
      expect(whole.consumed).toBe(line.length);
      expect(parse(input, Array.from(input, (_, i) => i))).toEqual(whole);
      for (let cut = 1; cut < line.length; cut++) expect(parse(input, [cut])).toEqual(whole);
    });
  }

  it('the worst case is exactly the 107 bytes the specification allows', () => {
    expect(`PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`.length).toBe(MAX_V1_HEADER_BYTES);
  });

  const invalid: [string, string, string][] = [
    ['no signature (an HTTP request)', 'GET / HTTP/1.1\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['lower-case proxy', 'proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['two spaces after PROXY', 'PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['two spaces between fields', 'PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a trailing space', 'PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a missing port', 'PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['unknown protocol', 'PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['UNKNOWNX', 'PROXY UNKNOWNX\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an IPv4 address under TCP6', 'PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a leading zero in an address (octal confusion)', 'PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an address byte over 255', 'PROXY TCP4 256.2.3.4 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['three address bytes', 'PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a leading zero in a port', 'PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a signed port', 'PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['two :: in IPv6', 'PROXY TCP6 1::2::3 ::1 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an IPv6 zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a bare LF ends the line', 'PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a bare CR ends the line', 'PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX', NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['no CRLF within 107 bytes', `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`, NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE],
    ['input ends inside the line', 'PROXY TCP4 1.2.3.4', NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE],
    ['input ends inside the signature', 'PRO', NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE],
    ['empty input', '', NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE],
  ];
  for (const [name, line, code] of invalid) {
    it(`refuses ${name} with ${code}, under any split`, () => {
      const input = latin1(line);
      expect(parse(input).code).toBe(code);
      expect(parse(input, Array.from(input, (_, i) => i)).code).toBe(code);
    });
  }

  it('refuses a non-PROXY first byte at once, without waiting for more', () => {
    const parser = new ProxyHeaderParser();
    expect(parser.execute(latin1('G'), 0, 1)).toBe(0);
    expect(parser.error?.code).toBe(NET_ERROR_CODES.PROXY_HEADER_INVALID);
  });

  it('errors are sticky and a finished parser consumes nothing more', () => {
    const failed = new ProxyHeaderParser();
    failed.execute(latin1('X'), 0, 1);
    expect(failed.execute(latin1('PROXY UNKNOWN\r\n'), 0, 15)).toBe(0);
    expect(failed.header).toBeNull();
    const done = new ProxyHeaderParser();
    expect(done.execute(latin1('PROXY UNKNOWN\r\nGET'), 0, 18)).toBe(15);
    expect(done.execute(latin1('GET'), 0, 3)).toBe(0);
    expect(done.finish()).toBeNull();
  });
});

function v2(versionCommand: number, family: number, body: Uint8Array): Uint8Array {
  return concat(SIGNATURE, Uint8Array.from([versionCommand, family, body.length >> 8, body.length & 0xff]), body);
}

describe('§2.2 version 2 (binary)', () => {
  const tcp4 = Uint8Array.from([10, 1, 2, 3, 192, 168, 0, 1, 0x15, 0xb3, 0x00, 0x50]);
  const tcp6 = new Uint8Array(36);
  tcp6.set([0x20, 0x01, 0x0d, 0xb8], 0);
  tcp6.set([0x20, 0x01, 0x0d, 0xb8], 16);
  tcp6[15] = 1;
  tcp6[31] = 2;
  tcp6.set([0x04, 0xd2, 0x01, 0xbb], 32);
  const tlv = Uint8Array.from([0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]); // ALPN "h2", NOOP
  const valid: [string, Uint8Array, Partial<ProxyHeader>][] = [
    ['PROXY TCP over IPv4', v2(0x21, 0x11, tcp4), { command: 'proxy', source: v4('10.1.2.3', 5555), destination: v4('192.168.0.1', 80) }],
    ['PROXY TCP over IPv6', v2(0x21, 0x21, tcp6), { source: v6('2001:db8::1', 1234), destination: v6('2001:db8::2', 443) }],
    ['PROXY TCP over IPv4 with TLVs (skipped)', v2(0x21, 0x11, concat(tcp4, tlv)), { source: v4('10.1.2.3', 5555) }],
    ['LOCAL (health check), no addresses', v2(0x20, 0x00, new Uint8Array(0)), { command: 'local', source: null }],
    ['LOCAL with an address block, ignored', v2(0x20, 0x11, tcp4), { command: 'local', source: null }],
    ['LOCAL with a block too short for its family, ignored', v2(0x20, 0x21, tcp4), { command: 'local', source: null }],
    ['PROXY AF_UNSPEC: keep the socket addresses', v2(0x21, 0x00, new Uint8Array(0)), { command: 'proxy', source: null }],
    ['PROXY AF_UNIX stream: keep the socket addresses', v2(0x21, 0x31, new Uint8Array(216)), { source: null }],
    ['PROXY UDP over IPv4: not this connection, keep the socket addresses', v2(0x21, 0x12, tcp4), { source: null }],
    ['the largest address block accepted', v2(0x21, 0x11, concat(tcp4, new Uint8Array(MAX_V2_ADDRESS_BYTES - 12))), { source: v4('10.1.2.3', 5555) }],
  ];
  for (const [name, header, expected] of valid) {
    it(`accepts ${name}, whole, byte by byte and at every cut`, () => {
      const input = concat(header, AFTER);
      const whole = parse(input);
      expect(whole.code).toBeNull();
      expect(whole.header).toMatchObject({ version: 2, length: header.length, ...expected });
      expect(whole.consumed).toBe(header.length);
      if (header.length < 300) {
        expect(parse(input, Array.from(input, (_, i) => i))).toEqual(whole);
        for (let cut = 1; cut < header.length; cut++) expect(parse(input, [cut])).toEqual(whole);
      }
    });
  }

  const invalid: [string, Uint8Array, string][] = [
    ['a wrong signature byte', concat(SIGNATURE.subarray(0, 11), Uint8Array.from([0x0b, 0x21, 0x11, 0, 0])), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['version 1 in the binary form', v2(0x11, 0x11, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['version 3', v2(0x31, 0x11, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an unassigned command (2)', v2(0x22, 0x11, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an unknown family (4)', v2(0x21, 0x41, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an unknown transport (3)', v2(0x21, 0x13, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an IPv4 block too short', v2(0x21, 0x11, tcp4.subarray(0, 11)), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['an IPv6 block too short', v2(0x21, 0x21, tcp4), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a block over the limit', v2(0x21, 0x11, new Uint8Array(MAX_V2_ADDRESS_BYTES + 1)), NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE],
    ['input ending inside the addresses', v2(0x21, 0x11, tcp4).subarray(0, 20), NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE],
    ['input ending inside the signature', SIGNATURE.subarray(0, 5), NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE],
  ];
  for (const [name, input, code] of invalid) {
    it(`refuses ${name} with ${code}`, () => {
      expect(parse(input).code).toBe(code);
      if (input.length < 300) expect(parse(input, Array.from(input, (_, i) => i)).code).toBe(code);
    });
  }

  it('refuses a too-long block as soon as the length is read, before its bytes arrive', () => {
    const parser = new ProxyHeaderParser();
    const fixed = v2(0x21, 0x11, new Uint8Array(0));
    fixed[14] = 0xff;
    fixed[15] = 0xff;
    parser.execute(fixed, 0, 16);
    expect(parser.error?.code).toBe(NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE);
  });
});

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
/** IPv6 as Node and RFC 5952 write it: built from bytes, then formatted by the round trip itself. */
const ipv6Arb = fc
  .array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 })
  .map((groups) => groups.map((g) => g.toString(16)).join(':'));
const endpointsArb = fc.oneof(
  fc.tuple(ipv4Arb, ipv4Arb, fc.nat(65535), fc.nat(65535)).map(([a, b, p, q]) => [v4(a, p), v4(b, q)] as const),
  fc.tuple(ipv6Arb, ipv6Arb, fc.nat(65535), fc.nat(65535)).map(([a, b, p, q]) => [v6(a, p), v6(b, q)] as const),
);
const cutsArb = fc.array(fc.integer({ min: 1, max: 140 }), { maxLength: 10 });

/** The canonical form the parser gives an address (compressed IPv6). */
function canonical(endpoint: ProxyEndpoint): ProxyEndpoint {
  const header = parse(latin1(serializeProxyV1(endpoint, endpoint))).header;
  return header!.source!;
}

describe('properties', () => {
  it('v1: serialize → parse gives the endpoints back, under any split', () => {
    fc.assert(
      fc.property(endpointsArb, cutsArb, ([source, destination], cuts) => {
        const line = serializeProxyV1(source, destination);
        const outcome = parse(concat(latin1(line), AFTER), cuts);
        expect(outcome.code).toBeNull();
        expect(outcome.consumed).toBe(line.length);
        expect(outcome.header!.source).toEqual(canonical(source));
        expect(outcome.header!.destination).toEqual(canonical(destination));
        expect(line.length).toBeLessThanOrEqual(MAX_V1_HEADER_BYTES);
      }),
      { numRuns: runs(300) },
    );
  });

  it('v2: serialize → parse gives the endpoints back, with TLVs, under any split', () => {
    fc.assert(
      fc.property(endpointsArb, fc.uint8Array({ maxLength: 64 }), cutsArb, ([source, destination], tlvs, cuts) => {
        const header = serializeProxyV2(source, destination, tlvs);
        const outcome = parse(concat(header, AFTER), cuts);
        expect(outcome.code).toBeNull();
        expect(outcome.consumed).toBe(header.length);
        expect(outcome.header!.source).toEqual(canonical(source));
        expect(outcome.header!.destination).toEqual(canonical(destination));
      }),
      { numRuns: runs(300) },
    );
  });

  const CODES: ReadonlySet<string> = new Set(Object.values(NET_ERROR_CODES));
  /** Any input: a header, the parser's own error, or (at the end) INCOMPLETE; the same under any split. */
  function total(input: Uint8Array, cuts: readonly number[]): void {
    const whole = parse(input);
    expect(whole.header !== null || (whole.code !== null && CODES.has(whole.code))).toBe(true);
    expect(parse(input, cuts)).toEqual(whole);
  }

  it('random bytes: the parser’s own error or a header, never a throw, the same under any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), cutsArb, (input, cuts) => total(input, cuts)),
      { numRuns: runs(500) },
    );
  });

  it('mutated valid headers: the parser’s own error or a header, the same under any split', () => {
    const mutation = fc.tuple(endpointsArb, fc.boolean(), fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { minLength: 1, maxLength: 4 }), cutsArb);
    fc.assert(
      fc.property(mutation, ([[source, destination], binary, edits, cuts]) => {
        const input = concat(binary ? serializeProxyV2(source, destination) : latin1(serializeProxyV1(source, destination)), AFTER);
        for (const [at, value] of edits) input[at % input.length] = value;
        total(input, cuts);
      }),
      { numRuns: runs(500) },
    );
  });

  it('a header never needs more than its own bytes: with input after it, it completes', () => {
    fc.assert(
      fc.property(endpointsArb, fc.boolean(), ([source, destination], binary) => {
        const header = binary ? serializeProxyV2(source, destination) : latin1(serializeProxyV1(source, destination));
        const parser = new ProxyHeaderParser();
        expect(parser.execute(header, 0, header.length)).toBe(header.length);
        expect(parser.done).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });
});
