/** The DER encoder, byte for byte against X.690's rules and examples. */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  tlv,
  utf8String,
} from '../../src/tls/der.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('DER encoding (X.690)', () => {
  it.each([
    [0, '020100'],
    [1, '020101'],
    [127, '02017f'],
    [128, '02020080'], // §8.3.2: a set top bit needs a 0x00 so the value stays positive
    [255, '020200ff'],
    [256, '02020100'],
    [65_535, '020300ffff'],
    [2 ** 32, '02050100000000'],
  ])('INTEGER %d → %s', (value, expected) => {
    expect(hex(integer(value))).toBe(expected);
  });

  it('INTEGER from bytes drops redundant leading zeros and adds a sign byte when needed', () => {
    expect(hex(integer(Buffer.from('000001', 'hex')))).toBe('020101');
    expect(hex(integer(Buffer.from('0080', 'hex')))).toBe('02020080');
    expect(hex(integer(Buffer.from('80', 'hex')))).toBe('02020080');
    expect(hex(integer(Buffer.from('7fff', 'hex')))).toBe('02027fff');
    expect(hex(integer(Buffer.alloc(0)))).toBe('020100');
    expect(hex(integer(Buffer.from('0000', 'hex')))).toBe('020100');
  });

  it('INTEGER refuses negative and unsafe numbers', () => {
    expect(() => integer(-1)).toThrow(RangeError);
    expect(() => integer(2 ** 53)).toThrow(RangeError);
    expect(() => integer(1.5)).toThrow(RangeError);
  });

  it.each([
    ['2.5.4.3', '0603550403'],
    ['1.2.840.113549', '06062a864886f70d'],
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['1.3.6.1.5.5.7.3.1', '06082b06010505070301'],
    ['2.999.3', '0603883703'], // X.690 §8.19.5's example: first two arcs as 40·2 + 999 = 1079
    ['0.0', '060100'],
  ])('OBJECT IDENTIFIER %s → %s', (oid, expected) => {
    expect(hex(objectIdentifier(oid))).toBe(expected);
  });

  it('OBJECT IDENTIFIER refuses malformed text', () => {
    for (const bad of ['', '1', '1.', '3.1', '1.40', '1.2.x', '1..2']) expect(() => objectIdentifier(bad), bad).toThrow(RangeError);
  });

  it('lengths: short form below 128, long form after', () => {
    expect(hex(octetString(Buffer.alloc(127))).slice(0, 4)).toBe('047f');
    expect(hex(octetString(Buffer.alloc(128))).slice(0, 6)).toBe('048180');
    expect(hex(octetString(Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(octetString(Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
    expect(hex(octetString(Buffer.alloc(70_000))).slice(0, 10)).toBe('0483011170');
    expect(tlv(0x04, Buffer.alloc(70_000)).length).toBe(70_005);
  });

  it('BOOLEAN is 0xff or 0x00; BIT STRING carries its unused-bit count', () => {
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(bitString(Buffer.from('abcd', 'hex')))).toBe('030300abcd');
    expect(() => bitString(Buffer.alloc(1), 8)).toThrow(RangeError);
  });

  it('named bits drop trailing zero bits (§11.2.2): KeyUsage as OpenSSL writes it', () => {
    expect(hex(namedBits([0]))).toBe('03020780'); // digitalSignature
    expect(hex(namedBits([0, 5]))).toBe('03020284'); // digitalSignature, keyCertSign
    expect(hex(namedBits([5, 6]))).toBe('03020106'); // keyCertSign, cRLSign
    expect(hex(namedBits([8]))).toBe('0303070080'); // decipherOnly, in the second byte
    expect(hex(namedBits([]))).toBe('030100');
  });

  it('SEQUENCE concatenates; SET OF sorts its encodings (§11.6)', () => {
    expect(hex(sequence())).toBe('3000');
    expect(hex(sequence(integer(1), boolean(true)))).toBe('30060201010101ff');
    expect(hex(set(integer(2), integer(1)))).toBe('3106020101020102');
  });

  it('UTF8String is UTF-8', () => {
    expect(hex(utf8String('localhost'))).toBe('0c096c6f63616c686f7374');
    expect(hex(utf8String('é'))).toBe('0c02c3a9');
  });

  it('times: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(Buffer.from(time(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toString('latin1')).toBe('\x17\x0d260102030405Z');
    expect(Buffer.from(time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)))).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(Buffer.from(time(new Date(Date.UTC(2050, 0, 1, 0, 0, 0)))).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(Buffer.from(time(new Date(Date.UTC(1949, 11, 31, 0, 0, 0)))).toString('latin1')).toBe('\x18\x0f19491231000000Z');
  });

  it('context tags: [n] EXPLICIT is constructed around a TLV, [n] IMPLICIT replaces the tag', () => {
    expect(hex(explicit(0, integer(2)))).toBe('a003020102');
    expect(hex(explicit(3, sequence()))).toBe('a3023000');
    expect(hex(implicit(2, Buffer.from('a', 'ascii')))).toBe('820161');
    expect(hex(implicit(7, Buffer.from([127, 0, 0, 1])))).toBe('87047f000001');
  });
});
