import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latin1, latin1Portable } from '../../src/http/chars.js';

describe('latin1 decoding of header bytes (RFC 9110 §5.5: field values are opaque octets)', () => {
  it('maps every byte to the code unit of the same value, on a Buffer and on a plain Uint8Array', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const expected = String.fromCharCode(...all);
    expect(latin1(all, 0, 256)).toBe(expected);
    expect(latin1(Buffer.from(all), 0, 256)).toBe(expected);
    expect(latin1Portable(all, 0, 256)).toBe(expected);
  });

  it('native and portable decoders agree with Buffer#toString("latin1") on any range of any view', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 9000 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 7 }),
        (bytes, a, b, viewOffset) => {
          // A view that does not start at its ArrayBuffer's start, as a socket's chunk rarely does.
          const backing = new Uint8Array(bytes.length + viewOffset);
          backing.set(bytes, viewOffset);
          const view = backing.subarray(viewOffset);
          const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
          const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
          const expected = Buffer.from(bytes).toString('latin1', start, end);
          expect(latin1(view, start, end)).toBe(expected);
          expect(latin1Portable(view, start, end)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the empty string for an empty or inverted range', () => {
    const buf = Buffer.from('abc');
    expect(latin1(buf, 2, 2)).toBe('');
    expect(latin1(buf, 2, 1)).toBe('');
  });
});
