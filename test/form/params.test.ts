/**
 * Content-Type and Content-Disposition values (RFC 9110 §5.6.6, §8.3.1; RFC 6266; RFC 8187) and the
 * multipart boundary (RFC 2046 §5.1.1, RFC 7578 §4.1), as tables.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormError, FormErrorCode, formStatusOf } from '../../src/form/errors.ts';
import { boundaryOf, decodeExtValue, isValidBoundary, parseContentDisposition, parseContentType, type ContentDisposition } from '../../src/form/params.ts';
import { runs } from '../support/runs.ts';

describe('parseContentType', () => {
  const parsed: [string, string, Record<string, string>][] = [
    ['multipart/form-data; boundary=abc', 'multipart/form-data', { boundary: 'abc' }],
    ['Multipart/Form-Data; BOUNDARY="a b"', 'multipart/form-data', { boundary: 'a b' }],
    ['text/plain;charset=utf-8', 'text/plain', { charset: 'utf-8' }],
    ['text/plain ; charset=UTF-8', 'text/plain', { charset: 'UTF-8' }],
    ['  text/html  ', 'text/html', {}],
    ['a/b; x="q\\"uote\\\\"', 'a/b', { x: 'q"uote\\' }],
    ['a/b; x="RFC 9110 \\q\\uoted-pairs"', 'a/b', { x: 'RFC 9110 quoted-pairs' }],
    ['a/b; x="semi;colon, comma"', 'a/b', { x: 'semi;colon, comma' }],
    ['a/b;', 'a/b', {}],
    ['a/b; ; x=1;', 'a/b', { x: '1' }],
    ['a/b; x="é ü"', 'a/b', { x: 'é ü' }],
    ['a/b; x=""', 'a/b', { x: '' }],
    ["vnd.a+json/x-y.z; q=!#$%&'*+-.^_`|~", 'vnd.a+json/x-y.z', { q: "!#$%&'*+-.^_`|~" }],
  ];
  for (const [value, essence, parameters] of parsed) {
    it(`parses ${JSON.stringify(value)}`, () => {
      const media = parseContentType(value);
      expect(media?.essence).toBe(essence);
      expect(Object.fromEntries(media?.parameters ?? [])).toEqual(parameters);
    });
  }

  const refused = [
    '',
    'text',
    '/b',
    'a/',
    'a /b',
    'a/b x=1',
    'a/b; x = 1',
    'a/b; x= 1',
    'a/b; x',
    'a/b; x=',
    'a/b; x="unterminated',
    'a/b; x="trailing\\',
    'a/b; x="\u0001"',
    'a/b; x=é',
    'a/b; x=1; X=2',
    'a/b; x=a"b',
    'é/b',
  ];
  for (const value of refused) it(`refuses ${JSON.stringify(value)}`, () => expect(parseContentType(value)).toBeNull());
});

describe('parseContentDisposition', () => {
  const parsed: [string, { type: string; name?: string; filename?: string }][] = [
    ['form-data; name="a"', { type: 'form-data', name: 'a', filename: undefined }],
    ['FORM-DATA; NAME=a; FILENAME=""', { type: 'form-data', name: 'a', filename: '' }],
    ['form-data; name="a"; filename="C:\\\\dir\\\\f.txt"', { type: 'form-data', name: 'a', filename: 'C:\\dir\\f.txt' }],
    ['form-data; name="a\\b"; filename="C:\\Users\\f.txt"', { type: 'form-data', name: 'a\\b', filename: 'C:\\Users\\f.txt' }],
    ['form-data; name="q\\"uo\\\\te\\\\"', { type: 'form-data', name: 'q"uo\\te\\' }],
    ['form-data; name="naïve €"; filename="😀"', { type: 'form-data', name: 'naïve €', filename: '😀' }],
    ["attachment; filename*=UTF-8''%e2%82%ac%20rates", { type: 'attachment', filename: '€ rates' }],
    ["form-data; name=a; filename=\"x\"; filename*=UTF-8''y", { type: 'form-data', name: 'a', filename: 'y' }],
    ["form-data; filename*=UTF-8''y; filename=\"x\"", { type: 'form-data', filename: 'y' }],
    ["form-data; name*=UTF-8''n%C3%A4me; name=\"plain\"", { type: 'form-data', name: 'näme' }],
    ["form-data; filename*=utf-8'en-US'a.txt", { type: 'form-data', filename: 'a.txt' }],
    ["form-data; filename*=ISO-8859-1''%A3%20and%20%e9", { type: 'form-data', filename: '£ and é' }],
    ["form-data; filename*=UTF-8''%ff%fe", { type: 'form-data', filename: '\ufffd\ufffd' }],
    ["form-data; filename*=x-unknown''abc; filename=\"fallback\"", { type: 'form-data', filename: 'fallback' }],
    ["form-data; filename*=UTF-8''!#$&+-.^_`|~", { type: 'form-data', filename: '!#$&+-.^_`|~' }],
    ['inline', { type: 'inline', name: undefined, filename: undefined }],
  ];
  for (const [value, expected] of parsed) {
    it(`parses ${JSON.stringify(value)}`, () => expect(parseContentDisposition(value)).toMatchObject(expected));
  }

  it('keeps every parameter, extended ones decoded under their starred name', () => {
    const d = parseContentDisposition("form-data; name=\"a\"; filename*=UTF-8''%e2%82%ac; x-extra=1");
    expect(Object.fromEntries(d?.parameters ?? [])).toEqual({ name: 'a', 'filename*': '€', 'x-extra': '1' });
  });

  const refused = [
    '',
    '; name=a',
    'form-data name=a',
    'form-data; name="a"; name="b"',
    'form-data; name="a"; NAME="b"',
    "form-data; filename*=UTF-8''%zz",
    "form-data; filename*=UTF-8''%e",
    "form-data; filename*=''abc",
    "form-data; filename*=UTF-8'abc",
    'form-data; filename*="UTF-8\'\'quoted"',
    "form-data; filename*=UTF-8''a b",
    "form-data; filename*=UTF-8''a*b",
    "form-data; filename*=UTF-8'e n'a",
    'form-data; name="unterminated',
    'form-data; name="ends in a backslash\\"',
  ];
  for (const value of refused) it(`refuses ${JSON.stringify(value)}`, () => expect(parseContentDisposition(value)).toBeNull());
});

describe('parseContentDisposition: the fast path for what browsers send', () => {
  const view = (d: ContentDisposition | null): unknown => d && { type: d.type, name: d.name, filename: d.filename, parameters: Object.fromEntries(d.parameters) };

  it('reads every value as the general parser does (a leading space takes the general path)', () => {
    const piece = fc.constantFrom('form-data', 'Form-Data', '; ', ';', ' ', 'name=', 'filename=', 'name*=', '"', '\\', '\t', 'x', 'é', '😀', '\u0001', "UTF-8''a", '=');
    const browserLike = fc.tuple(fc.string({ maxLength: 8 }), fc.option(fc.string({ maxLength: 8 }))).map(
      ([name, filename]) => `form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}`,
    );
    fc.assert(
      fc.property(fc.oneof(browserLike, fc.array(piece, { maxLength: 12 }).map((p) => p.join(''))), (value) => {
        expect(view(parseContentDisposition(value))).toEqual(view(parseContentDisposition(` ${value}`)));
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('decodeExtValue (RFC 8187 §3.2.1)', () => {
  const cases: [string, string | null | undefined][] = [
    ["UTF-8''%e2%82%ac", '€'],
    ["utf-8'de'Gr%C3%BC%C3%9Fe", 'Grüße'],
    ["UTF-8''", ''],
    ["ISO-8859-1''%FF", 'ÿ'],
    ["windows-1252''abc", undefined],
    ["UTF-8''%", null],
    ["UTF-8''%4", null],
    ["UTF-8''a'b", null],
    ["UTF-8", null],
    ["''abc", null],
    ["UTF 8''abc", null],
  ];
  for (const [text, expected] of cases) it(`${JSON.stringify(text)} → ${JSON.stringify(expected)}`, () => expect(decodeExtValue(text)).toBe(expected));
});

describe('boundaryOf', () => {
  const found: [string, string][] = [
    ['multipart/form-data; boundary=abc', 'abc'],
    ['multipart/form-data; boundary="----WebKitFormBoundary7MA4YWxkTrZu0gW"', '----WebKitFormBoundary7MA4YWxkTrZu0gW'],
    ['MULTIPART/FORM-DATA; BOUNDARY=xyz', 'xyz'],
    ['multipart/form-data; charset=utf-8; boundary="a b:c"', 'a b:c'],
    [`multipart/form-data; boundary="${"'()+_,-./:=? 0aZ"}"`, "'()+_,-./:=? 0aZ"],
    [`multipart/form-data; boundary=${'x'.repeat(70)}`, 'x'.repeat(70)],
    ['multipart/form-data;boundary=-', '-'],
  ];
  for (const [value, boundary] of found) it(`finds the boundary of ${JSON.stringify(value)}`, () => expect(boundaryOf(value)).toBe(boundary));

  const refused: [string | undefined, FormErrorCode][] = [
    [undefined, FormErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['text/plain; boundary=x', FormErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['multipart/mixed; boundary=x', FormErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['application/x-www-form-urlencoded', FormErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['', FormErrorCode.INVALID_CONTENT_TYPE],
    ['multipart/form-data; boundary', FormErrorCode.INVALID_CONTENT_TYPE],
    ['multipart/form-data; boundary=a@b', FormErrorCode.INVALID_CONTENT_TYPE],
    ['multipart/form-data; boundary=a; boundary=b', FormErrorCode.INVALID_CONTENT_TYPE],
    ['multipart/form-data', FormErrorCode.NO_BOUNDARY],
    ['multipart/form-data; charset=utf-8', FormErrorCode.NO_BOUNDARY],
    ['multipart/form-data; boundary=""', FormErrorCode.INVALID_BOUNDARY],
    [`multipart/form-data; boundary=${'x'.repeat(71)}`, FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary="ends in space "', FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary="semi;colon"', FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary="a\\"b"', FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary="tab\there"', FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary="é"', FormErrorCode.INVALID_BOUNDARY],
    ['multipart/form-data; boundary=a*b', FormErrorCode.INVALID_BOUNDARY],
  ];
  for (const [value, code] of refused) {
    it(`refuses ${JSON.stringify(value)} with ${code} (${formStatusOf(code)})`, () => {
      let error: unknown;
      try {
        boundaryOf(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FormError);
      expect((error as FormError).code).toBe(code);
      expect((error as FormError).status).toBe(formStatusOf(code));
      expect((error as FormError).offset).toBe(-1);
      // Never an echo of the value (the bare media type name is the message's own words).
      if (value !== undefined && value !== '' && value !== 'multipart/form-data') expect((error as FormError).message).not.toContain(value);
    });
  }

  it('isValidBoundary: 1 to 70 bchars, not ending in a space', () => {
    expect(isValidBoundary('a')).toBe(true);
    expect(isValidBoundary(' a')).toBe(true);
    expect(isValidBoundary('a ')).toBe(false);
    expect(isValidBoundary('')).toBe(false);
    expect(isValidBoundary('x'.repeat(70))).toBe(true);
    expect(isValidBoundary('x'.repeat(71))).toBe(false);
    for (let code = 0; code < 256; code++) {
      const c = String.fromCharCode(code);
      const bchar = /[0-9A-Za-z'()+_,\-./:=? ]/.test(c);
      expect(isValidBoundary(`x${c}x`), `byte ${code}`).toBe(bchar);
    }
  });
});

describe('FormError', () => {
  it('maps every code to 400, 413 or 415 in one place', () => {
    const statuses = Object.values(FormErrorCode).map((code) => [code, formStatusOf(code)] as const);
    for (const [code, status] of statuses) {
      const expected = code === 'UNSUPPORTED_MEDIA_TYPE' ? 415 : /TOO_MANY|TOO_LARGE/.test(code) ? 413 : 400;
      expect(status, code).toBe(expected);
    }
    const error = new FormError(FormErrorCode.FILE_TOO_LARGE, 'x', 7);
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.status, error.offset]).toEqual(['FormError', 'FILE_TOO_LARGE', 413, 7]);
  });
});
