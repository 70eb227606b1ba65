/**
 * MultipartParser conformance, as tables (STYLE.md 13): every case is replayed whole, one byte per
 * chunk, at random splits, pausing at every event, and between garbage that is scribbled over.
 * Refusals mark the refused byte with AT; its offset is what the error must report.
 */
import { describe, expect, it } from 'vitest';
import { FormError, FormErrorCode, formStatusOf } from '../../src/form/errors.ts';
import { DEFAULT_MULTIPART_LIMITS, resolveMultipartLimits, type MultipartLimits } from '../../src/form/limits.ts';
import {
  MultipartParser,
  type MultipartSink,
  type PartInfo,
} from '../../src/form/multipart.ts';
import { AT, bytes, marked, replay, utf8Latin1, type FormLog, type PartLog } from './support.ts';

const B = 'AaB03x';
const CRLF = '\r\n';

/** A part's header section and blank line: Content-Disposition form-data with a name (and filename). */
function head(name: string, filename?: string, ...more: string[]): string {
  const fn = filename === undefined ? '' : `; filename="${filename}"`;
  return [`Content-Disposition: form-data; name="${name}"${fn}`, ...more].join(CRLF) + CRLF + CRLF;
}

/** A whole body from parts given as header section + data. */
function body(parts: [string, string][], boundary = B): string {
  return parts.map(([h, d]) => `--${boundary}${CRLF}${h}${d}${CRLF}`).join('') + `--${boundary}--`;
}

type Expected = Partial<PartLog> & { data: string };

interface AcceptCase {
  name: string;
  body: string;
  parts: Expected[];
  boundary?: string;
  limits?: Partial<MultipartLimits>;
}

function field(name: string, data: string, more: Partial<PartLog> = {}): Expected {
  return { name, filename: undefined, contentType: 'text/plain', data, complete: true, ...more };
}

function file(name: string, filename: string, data: string, more: Partial<PartLog> = {}): Expected {
  return { name, filename, contentType: 'application/octet-stream', data, complete: true, ...more };
}

function expectAccepted(c: AcceptCase): FormLog {
  const log = replay(c.boundary ?? B, c.body, { limits: c.limits });
  expect(log.error).toBeNull();
  expect(log.finished).toBe(true);
  expect(log.ended).toBe(true);
  expect(log.parts).toMatchObject(c.parts);
  return log;
}

const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

const accepted: AcceptCase[] = [
  { name: 'one field', body: body([[head('a'), 'hello']]), parts: [field('a', 'hello')] },
  {
    name: 'the example of RFC 7578 §4.5, Content-Transfer-Encoding reported, not decoded',
    body: [
      '--AaB03x',
      'content-disposition: form-data; name="field1"',
      'content-type: text/plain;charset=UTF-8',
      'content-transfer-encoding: quoted-printable',
      '',
      'Joe owes =E2=82=AC100.',
      '--AaB03x--',
    ].join(CRLF),
    parts: [field('field1', 'Joe owes =E2=82=AC100.', { charset: 'utf-8', transferEncoding: 'quoted-printable' })],
  },
  {
    name: 'fields and files, in order, with their headers',
    body: body([
      [head('title', undefined), 'A & B = C%20+'],
      [head('upload', 'a.txt', 'Content-Type: Text/Plain; Charset="ISO-8859-1"'), 'file contents\r\n'],
      [head('blob', 'x.bin', 'X-Extra:  spaced value  '), '\x00\xff'],
    ]),
    parts: [
      field('title', 'A & B = C%20+', { headers: [['content-disposition', 'form-data; name="title"']] }),
      file('upload', 'a.txt', 'file contents\r\n', { contentType: 'text/plain', charset: 'iso-8859-1' }),
      file('blob', 'x.bin', '\x00\xff', {
        headers: [
          ['content-disposition', 'form-data; name="blob"; filename="x.bin"'],
          ['x-extra', 'spaced value'],
        ],
      }),
    ],
  },
  {
    name: 'a preamble and an epilogue are ignored, even one holding another delimiter',
    body: `This is the preamble.\r\n--AaB03 not yet\r\n${body([[head('a'), 'x']])}\r\nThe epilogue.\r\n--${B}\r\n${head('b')}y\r\n--${B}--`,
    parts: [field('a', 'x')],
  },
  {
    name: 'the first delimiter after a preamble line, or opening the body without a CRLF',
    body: `\r\n--${B}\r\n${head('a')}1\r\n--${B}--`,
    parts: [field('a', '1')],
  },
  {
    name: 'transport padding after a delimiter and after the close delimiter (RFC 2046 §5.1.1)',
    body: `--${B} \t \r\n${head('a')}1\r\n--${B}\t\r\n${head('b')}2\r\n--${B}--  \r\n`,
    parts: [field('a', '1'), field('b', '2')],
  },
  {
    name: 'a part with no body: a delimiter right after the blank line (body-part := MIME-part-headers [CRLF *OCTET])',
    body: `--${B}\r\n${head('a')}--${B}\r\n${head('b')}after\r\n--${B}\r\n${head('c')}--${B}--`,
    parts: [field('a', ''), field('b', 'after'), field('c', '')],
  },
  {
    name: 'data that begins like the boundary, right after the blank line',
    body: body([[head('a'), '--AaB03 z'], [head('b'), '--AaB03']]),
    parts: [field('a', '--AaB03 z'), field('b', '--AaB03')],
  },
  { name: 'no parts: only the close delimiter, as browsers send an empty form', body: `--${B}--\r\n`, parts: [] },
  {
    name: 'empty parts: an empty field and a file input with no file chosen (filename="")',
    body: body([
      [head('empty'), ''],
      [head('nofile', '', 'Content-Type: application/octet-stream'), ''],
    ]),
    parts: [field('empty', ''), file('nofile', '', '')],
  },
  {
    name: 'file data that only resembles the delimiter is data',
    body: body([
      [
        head('f', 'tricky.bin'),
        `\r\n--AaB03\r\n--AaB0x--AaB03x\r--AaB03x\n--AaB03x\r\n-AaB03x\r\n--aab03x\r\n--AaB03\r\n\r\n`,
      ],
    ]),
    parts: [file('f', 'tricky.bin', `\r\n--AaB03\r\n--AaB0x--AaB03x\r--AaB03x\n--AaB03x\r\n-AaB03x\r\n--aab03x\r\n--AaB03\r\n\r\n`)],
  },
  {
    name: 'data ending in a partial delimiter, or in CRs, just before the real one',
    body: body([
      [head('a'), '\r\n--AaB0'],
      [head('b'), '\r'],
      [head('c'), '\r\n\r\r'],
    ]),
    parts: [field('a', '\r\n--AaB0'), field('b', '\r'), field('c', '\r\n\r\r')],
  },
  { name: 'every byte value in a file', body: body([[head('f', 'all.bin'), ALL_BYTES + ALL_BYTES]]), parts: [file('f', 'all.bin', ALL_BYTES + ALL_BYTES)] },
  {
    name: 'header names, the disposition type and parameter names are case-insensitive; values keep their case',
    body: body([[`CONTENT-DISPOSITION: Form-Data; NAME="MiXed"; FileName="F.TXT"\r\nCONTENT-TYPE: IMAGE/PNG\r\n\r\n`, 'x']]),
    parts: [file('MiXed', 'F.TXT', 'x', { contentType: 'image/png' })],
  },
  {
    name: 'token parameter values, no whitespace after the colon, empty parameters',
    body: body([[`Content-Disposition:form-data;name=plain;;filename=a.b\r\n\r\n`, 'x']]),
    parts: [file('plain', 'a.b', 'x')],
  },
  {
    name: 'the quoted-pairs \\" and \\\\ in a quoted-string are unescaped',
    body: body([[`Content-Disposition: form-data; name="q\\"uo\\\\te"; filename="a\\\\b\\".txt"\r\n\r\n`, 'x']]),
    parts: [file('q"uo\\te', 'a\\b".txt', 'x')],
  },
  {
    name: 'any other backslash is itself, as browsers do not escape them (a path from an old client)',
    body: body([[`Content-Disposition: form-data; name="f"; filename="C:\\Users\\me\\cv.pdf"\r\n\r\n`, 'x']]),
    parts: [file('f', 'C:\\Users\\me\\cv.pdf', 'x')],
  },
  {
    name: 'UTF-8 names and filenames, as browsers send them (RFC 7578 §5.1.1)',
    body: body([[head(utf8Latin1('naïve €'), utf8Latin1('résumé 😀.pdf')), utf8Latin1('ünïcode')]]),
    parts: [file('naïve €', 'résumé 😀.pdf', utf8Latin1('ünïcode'))],
  },
  {
    name: "filename* (RFC 8187) wins over filename, in UTF-8 or ISO-8859-1",
    body: body([
      [`Content-Disposition: form-data; name="a"; filename="euro.txt"; filename*=UTF-8''%e2%82%ac%20rates.txt\r\n\r\n`, '1'],
      [`Content-Disposition: form-data; name="b"; filename*=iso-8859-1'en'%A3%20rates.txt; filename="pound.txt"\r\n\r\n`, '2'],
      [`Content-Disposition: form-data; name="c"; filename="kept.txt"; filename*=x-unknown''abc\r\n\r\n`, '3'],
    ]),
    parts: [file('a', '€ rates.txt', '1'), file('b', '£ rates.txt', '2'), file('c', 'kept.txt', '3')],
  },
  {
    name: 'a boundary with every kind of bchar, spaces inside',
    boundary: "a'()+_,-./:=? z",
    body: body([[head('a'), "--a'()+_,-./:=? \r\n--a'()+_,-./:=?z"]], "a'()+_,-./:=? z"),
    parts: [field('a', "--a'()+_,-./:=? \r\n--a'()+_,-./:=?z")],
  },
  {
    name: 'a 20 KiB header value straddling chunks, with no header limit',
    body: body([[head('big', undefined, `X-Big: ${'v'.repeat(20 * 1024)}`), 'x']]),
    limits: { maxPartHeaderBytes: Infinity },
    parts: [field('big', 'x', { headers: [['content-disposition', 'form-data; name="big"'], ['x-big', 'v'.repeat(20 * 1024)]] })],
  },
  {
    name: 'a 70-character boundary',
    boundary: 'x'.repeat(70),
    body: body([[head('a'), `\r\n--${'x'.repeat(69)}`]], 'x'.repeat(70)),
    parts: [field('a', `\r\n--${'x'.repeat(69)}`)],
  },
  {
    name: 'a one-character boundary that occurs all through the data',
    boundary: '-',
    body: body([[head('a'), '-\r\n-\r\n-- -\r\n-x']], '-'),
    parts: [field('a', '-\r\n-\r\n-- -\r\n-x')],
  },
];

interface RefuseCase {
  name: string;
  /** The body, with AT where the refused byte is. */
  body: string;
  code: FormErrorCode;
  limits?: Partial<MultipartLimits>;
  boundary?: string;
  /** Parts completed before the error. */
  parts?: number;
}

const CD = 'Content-Disposition: form-data; name="a"';

const refused: RefuseCase[] = [
  // Truncation (see also every prefix below).
  { name: 'an empty body', body: AT, code: FormErrorCode.UNEXPECTED_END },
  { name: 'only a preamble', body: `preamble\r\n--AaB03${AT}`, code: FormErrorCode.UNEXPECTED_END },
  { name: 'a part without a close delimiter', body: `--${B}\r\n${CD}\r\n\r\ndata\r\n${AT}`, code: FormErrorCode.UNEXPECTED_END },
  {
    name: 'a delimiter but no close delimiter',
    body: `--${B}\r\n${CD}\r\n\r\ndata\r\n--${B}\r\n${AT}`,
    code: FormErrorCode.UNEXPECTED_END,
    parts: 1,
  },
  // Delimiter lines (RFC 2046 §5.1.1).
  { name: 'a boundary that is the prefix of a longer run', body: `--${B}\r\n${CD}\r\n\r\nx\r\n--${B}${AT}X\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'the boundary right after the blank line, followed by other bytes', body: `--${B}\r\n${CD}\r\n\r\n--${B}${AT}x\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'the first boundary followed by other bytes', body: `--${B}${AT}Y\r\n${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'a single dash after a boundary', body: `--${B}\r\n${CD}\r\n\r\nx\r\n--${B}-${AT}X`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'padding then other bytes', body: `--${B}  ${AT}x\r\n${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'a delimiter line ending in a bare CR', body: `--${B}\r${AT}${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  { name: 'a delimiter line ending in a bare LF', body: `--${B}${AT}\n${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_DELIMITER },
  // Part headers.
  { name: 'no Content-Disposition', body: `--${B}\r\nContent-Type: text/plain\r\n\r${AT}\nx\r\n--${B}--`, code: FormErrorCode.MISSING_CONTENT_DISPOSITION },
  { name: 'no header at all', body: `--${B}\r\n\r${AT}\nx\r\n--${B}--`, code: FormErrorCode.MISSING_CONTENT_DISPOSITION },
  { name: 'a disposition that is not form-data', body: `--${B}\r\n${AT}Content-Disposition: attachment; name="a"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_FORM_DATA },
  { name: 'form-data without a name', body: `--${B}\r\n${AT}Content-Disposition: form-data; filename="a"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_FORM_DATA },
  {
    name: 'an unterminated quoted-string',
    body: `--${B}\r\nX-A: 1\r\n${AT}Content-Disposition: form-data; name="a\r\n\r\nx\r\n--${B}--`,
    code: FormErrorCode.INVALID_CONTENT_DISPOSITION,
  },
  { name: 'a repeated parameter', body: `--${B}\r\n${AT}Content-Disposition: form-data; name="a"; name="b"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_CONTENT_DISPOSITION },
  { name: 'whitespace around "="', body: `--${B}\r\n${AT}Content-Disposition: form-data; name = "a"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_CONTENT_DISPOSITION },
  {
    name: 'a malformed filename* (bad percent-encoding)',
    body: `--${B}\r\n${AT}Content-Disposition: form-data; name="a"; filename*=UTF-8''%e2%8\r\n\r\nx\r\n--${B}--`,
    code: FormErrorCode.INVALID_CONTENT_DISPOSITION,
  },
  { name: 'a repeated Content-Disposition', body: `--${B}\r\n${CD}\r\n${AT}${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.DUPLICATE_PART_HEADER },
  {
    name: 'a repeated Content-Type',
    body: `--${B}\r\n${CD}\r\nContent-Type: text/plain\r\n${AT}content-type: text/html\r\n\r\nx\r\n--${B}--`,
    code: FormErrorCode.DUPLICATE_PART_HEADER,
  },
  { name: 'a Content-Type without a subtype', body: `--${B}\r\n${CD}\r\n${AT}Content-Type: text\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.INVALID_PART_CONTENT_TYPE },
  { name: 'a header line without a colon', body: `--${B}\r\nContent-Disposition${AT} form-data; name="a"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'whitespace before the colon', body: `--${B}\r\nContent-Disposition${AT} : form-data; name="a"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'obs-fold', body: `--${B}\r\n${CD};\r\n${AT} filename="x"\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a bare LF ending a header line', body: `--${B}\r\n${CD}${AT}\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a bare CR in a header line', body: `--${B}\r\n${CD}\r${AT}x\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a NUL in a header value', body: `--${B}\r\n${CD}; x=${AT}\x00\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a blank line ending in a bare CR', body: `--${B}\r\n${CD}\r\n\r${AT}x\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a header line that begins with the boundary', body: `--${B}\r\n${CD}\r\n${AT}--${B}: x\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  { name: 'a part header with a non-token name byte', body: `--${B}\r\n${AT}(x): 1\r\n${CD}\r\n\r\nx\r\n--${B}--`, code: FormErrorCode.MALFORMED_PART_HEADER },
  // Where the refused byte lies after held-back bytes: the offset is still the refused byte's.
  {
    name: 'a field limit crossed inside a run that looked like a delimiter',
    body: `--${B}\r\n${CD}\r\n\r\n1234\r${AT}\n--AaB0 more\r\n--${B}--`,
    code: FormErrorCode.FIELD_TOO_LARGE,
    limits: { maxFieldBytes: 5 },
  },
];

/** Each limit accepted at its exact value and refused one past it. */
function limitCases(): { accept: AcceptCase[]; refuse: RefuseCase[] } {
  const twoFields = body([
    [head('a'), '12345'],
    [head('b'), '6'],
  ]);
  const sectionOf = (h: string): number => (CRLF + h).length; // from after the dash-boundary through the blank line
  const h3 = head('a', undefined, 'X-One: 1', 'X-Two: 2');
  return {
    accept: [
      { name: 'maxParts at its value', body: twoFields, limits: { maxParts: 2 }, parts: [field('a', '12345'), field('b', '6')] },
      { name: 'maxParts 0 with no parts', body: `--${B}--`, limits: { maxParts: 0 }, parts: [] },
      { name: 'maxFields at its value', body: twoFields, limits: { maxFields: 2, maxFiles: 0 }, parts: [field('a', '12345'), field('b', '6')] },
      {
        name: 'maxFiles at its value',
        body: body([
          [head('f', 'x'), 'abc'],
          [head('g'), 'd'],
        ]),
        limits: { maxFiles: 1, maxFields: 1 },
        parts: [file('f', 'x', 'abc'), field('g', 'd')],
      },
      { name: 'maxFieldBytes at its value', body: twoFields, limits: { maxFieldBytes: 5 }, parts: [field('a', '12345'), field('b', '6')] },
      { name: 'maxTotalFieldBytes at its value', body: twoFields, limits: { maxTotalFieldBytes: 6 }, parts: [field('a', '12345'), field('b', '6')] },
      {
        name: 'maxFileBytes at its value, fields not counted',
        body: body([
          [head('f', 'x'), 'abc'],
          [head('g'), 'defgh'],
        ]),
        limits: { maxFileBytes: 3 },
        parts: [file('f', 'x', 'abc'), field('g', 'defgh')],
      },
      {
        name: 'maxFieldBytes does not apply to files, nor maxFileBytes to fields',
        body: body([
          [head('f', 'x'), 'abcdef'],
          [head('g'), 'defgh'],
        ]),
        limits: { maxFieldBytes: 5, maxFileBytes: 6 },
        parts: [file('f', 'x', 'abcdef'), field('g', 'defgh')],
      },
      { name: 'maxPartHeaders at its value', body: body([[h3, 'x']]), limits: { maxPartHeaders: 3 }, parts: [field('a', 'x')] },
      { name: 'maxPartHeaderBytes at its value', body: body([[h3, 'x']]), limits: { maxPartHeaderBytes: sectionOf(h3) }, parts: [field('a', 'x')] },
      {
        name: 'maxPartHeaderBytes counts transport padding',
        body: `--${B}   \r\n${h3}x\r\n--${B}--`,
        limits: { maxPartHeaderBytes: sectionOf(h3) + 3 },
        parts: [field('a', 'x')],
      },
    ],
    refuse: [
      {
        name: 'maxParts one past',
        body: `${twoFields.slice(0, -2)}\r${AT}\n${head('c')}7\r\n--${B}--`,
        limits: { maxParts: 2 },
        code: FormErrorCode.TOO_MANY_PARTS,
        parts: 2,
      },
      { name: 'maxParts 0', body: `--${B}\r${AT}\n${head('a')}x\r\n--${B}--`, limits: { maxParts: 0 }, code: FormErrorCode.TOO_MANY_PARTS },
      {
        name: 'maxFields one past',
        body: `--${B}\r\n${head('a')}1\r\n--${B}\r\n${head('b').slice(0, -1)}${AT}\n2\r\n--${B}--`,
        limits: { maxFields: 1 },
        code: FormErrorCode.TOO_MANY_FIELDS,
        parts: 1,
      },
      {
        name: 'maxFiles one past',
        body: `--${B}\r\n${head('a', 'x')}1\r\n--${B}\r\n${head('b')}2\r\n--${B}\r\n${head('c', 'y').slice(0, -1)}${AT}\n3\r\n--${B}--`,
        limits: { maxFiles: 1 },
        code: FormErrorCode.TOO_MANY_FILES,
        parts: 2,
      },
      { name: 'maxFieldBytes one past', body: `--${B}\r\n${head('a')}12345${AT}6\r\n--${B}--`, limits: { maxFieldBytes: 5 }, code: FormErrorCode.FIELD_TOO_LARGE },
      {
        name: 'maxTotalFieldBytes one past',
        body: `--${B}\r\n${head('a')}12345\r\n--${B}\r\n${head('b')}6${AT}7\r\n--${B}--`,
        limits: { maxTotalFieldBytes: 6 },
        code: FormErrorCode.FIELDS_TOO_LARGE,
        parts: 1,
      },
      { name: 'maxFileBytes one past', body: `--${B}\r\n${head('f', 'x')}abc${AT}d\r\n--${B}--`, limits: { maxFileBytes: 3 }, code: FormErrorCode.FILE_TOO_LARGE },
      { name: 'maxFileBytes 0', body: `--${B}\r\n${head('f', 'x')}${AT}d\r\n--${B}--`, limits: { maxFileBytes: 0 }, code: FormErrorCode.FILE_TOO_LARGE },
      {
        name: 'maxPartHeaders one past',
        body: `--${B}\r\n${h3.slice(0, -2)}${AT}X-Three: 3\r\n\r\nx\r\n--${B}--`,
        limits: { maxPartHeaders: 3 },
        code: FormErrorCode.TOO_MANY_PART_HEADERS,
      },
      {
        name: 'maxPartHeaderBytes one short',
        body: `--${B}\r\n${h3.slice(0, -1)}${AT}\nx\r\n--${B}--`,
        limits: { maxPartHeaderBytes: sectionOf(h3) - 1 },
        code: FormErrorCode.PART_HEADER_TOO_LARGE,
      },
      {
        name: 'maxPartHeaderBytes reached in transport padding',
        body: `--${B}   ${AT} \r\n${head('a')}x\r\n--${B}--`,
        limits: { maxPartHeaderBytes: 3 },
        code: FormErrorCode.PART_HEADER_TOO_LARGE,
      },
    ],
  };
}

function expectRefused(c: RefuseCase): FormLog {
  const { text, at } = marked(c.body);
  const log = replay(c.boundary ?? B, text, { limits: c.limits });
  expect(log.error).toEqual({ code: c.code, status: formStatusOf(c.code), offset: at });
  expect(log.finished).toBe(false);
  expect(log.ended).toBe(false);
  expect(log.parts.filter((p) => p.complete)).toHaveLength(c.parts ?? 0);
  return log;
}

describe('MultipartParser: accepted bodies', () => {
  for (const c of accepted) it(c.name, () => expectAccepted(c));
});

describe('MultipartParser: refused bodies', () => {
  for (const c of refused) it(`${c.name} → ${c.code}`, () => expectRefused(c));
});

describe('MultipartParser: each limit at its exact value', () => {
  const { accept, refuse } = limitCases();
  for (const c of accept) it(c.name, () => expectAccepted(c));
  for (const c of refuse) it(`${c.name} → ${c.code} (413)`, () => expect(expectRefused(c).error?.status).toBe(413));
});

describe('MultipartParser: truncated bodies', () => {
  const chosen = [/RFC 7578/, /fields and files/, /after a preamble line/, /transport padding/, /no body/, /only resembles/, /UTF-8 names/];
  const bodies = chosen.map((pattern) => accepted.find((c) => pattern.test(c.name))!);
  for (const c of bodies) {
    it(`every prefix of "${c.name}" is UNEXPECTED_END, or whole once the close delimiter is in`, () => {
      const full = bytes(c.body);
      const close = c.body.indexOf(`\r\n--${c.boundary ?? B}--`) + 4 + (c.boundary ?? B).length + 2;
      for (let length = 0; length < full.length; length++) {
        const log = replay(c.boundary ?? B, full.subarray(0, length), { randomSplits: 1 });
        if (length >= close) {
          expect(log.error).toBeNull();
          expect(log.parts).toMatchObject(c.parts);
        } else {
          expect(log.error, `prefix of ${length} bytes`).toEqual({ code: FormErrorCode.UNEXPECTED_END, status: 400, offset: length });
          // Nothing cut short is handed over as whole: every part reported complete is whole.
          const complete = log.parts.filter((p) => p.complete);
          expect(complete).toMatchObject(c.parts.slice(0, complete.length));
          expect(log.ended).toBe(false);
        }
      }
    });
  }
});

/** A sink that records events as text and pauses where told. */
class ScriptedSink implements MultipartSink {
  readonly events: string[] = [];
  constructor(private readonly pauseOn: Set<string>) {}
  onPartBegin(part: PartInfo): boolean {
    this.events.push(`begin ${part.name}`);
    return this.pauseOn.has('begin');
  }
  onPartData(buf: Uint8Array, start: number, end: number): boolean {
    this.events.push(`data ${String.fromCharCode(...buf.subarray(start, end))}`);
    return this.pauseOn.has('data');
  }
  onPartEnd(): boolean {
    this.events.push('end');
    return this.pauseOn.has('end');
  }
  onEnd(): void {
    this.events.push('END');
  }
  onError(error: FormError): void {
    this.events.push(`error ${error.code}`);
  }
}

describe('MultipartParser: pause and resume', () => {
  const text = body([
    [head('a'), 'one'],
    [head('b'), 'two'],
  ]);
  const input = bytes(text);

  it('returns at each paused event with the bytes consumed so far, and resumes from the tail', () => {
    const sink = new ScriptedSink(new Set(['begin', 'data', 'end']));
    const parser = new MultipartParser(B, sink);
    const stops: number[] = [];
    let at = 0;
    while (at < input.length) {
      at += parser.execute(input, at, input.length);
      stops.push(at);
    }
    expect(parser.finish()).toBe(true);
    expect(sink.events).toEqual(['begin a', 'data one', 'end', 'begin b', 'data two', 'end', 'END']);
    const firstData = text.indexOf('one');
    // The part ends once the delimiter line after it is whole: after its CRLF.
    expect(stops.slice(0, 3)).toEqual([firstData, firstData + 3, firstData + 3 + `\r\n--${B}\r\n`.length]);
    expect(stops.at(-1)).toBe(input.length);
  });

  it('a pause on held-back bytes consumes nothing of the new chunk, and the tail is handed back', () => {
    const sink = new ScriptedSink(new Set(['data']));
    const parser = new MultipartParser(B, sink);
    const split = text.indexOf('one') + 3 + 4; // the chunk ends after "one\r\n--"
    const first = input.slice(0, split);
    expect(parser.execute(first)).toBe(split); // "one" handed out, "\r\n--" held back
    const second = bytes('XY more\r\n--AaB03x--');
    expect(parser.execute(second)).toBe(0); // "\r\n--" handed out from the search's own bytes
    expect(parser.execute(second)).toBe('XY more'.length);
    expect(parser.execute(second, 'XY more'.length)).toBe(second.length - 'XY more'.length);
    expect(parser.finish()).toBe(true);
    expect(sink.events).toEqual(['begin a', 'data one', 'data \r\n--', 'data XY more', 'end', 'END']);
  });
});

describe('MultipartParser: the API', () => {
  it('refuses an invalid boundary when constructed', () => {
    const sink = new ScriptedSink(new Set());
    for (const boundary of ['', 'x'.repeat(71), 'ends in space ', 'semi;colon', 'quote"', 'é']) {
      expect(() => new MultipartParser(boundary, sink), JSON.stringify(boundary)).toThrow(FormError);
    }
  });

  it('errors are sticky, reported to onError once, and cleared by reset()', () => {
    const sink = new ScriptedSink(new Set());
    const parser = new MultipartParser(B, sink);
    const bad = bytes(`--${B}X`);
    expect(parser.execute(bad)).toBe(2 + B.length);
    expect(parser.error?.code).toBe(FormErrorCode.INVALID_DELIMITER);
    expect(parser.error?.status).toBe(400);
    expect(parser.execute(bad)).toBe(0);
    expect(parser.finish()).toBe(false);
    expect(sink.events).toEqual(['error INVALID_DELIMITER']);
    parser.reset();
    const good = bytes(body([[head('a'), 'x']]));
    expect(parser.execute(good)).toBe(good.length);
    expect(parser.done).toBe(true);
    expect(parser.finish()).toBe(true);
  });

  it('finish() without the close delimiter tells the sink UNEXPECTED_END instead of onEnd', () => {
    const sink = new ScriptedSink(new Set());
    const parser = new MultipartParser(B, sink);
    parser.execute(bytes(`--${B}\r\n${head('a')}partial`));
    expect(parser.finish()).toBe(false);
    expect(parser.error?.code).toBe(FormErrorCode.UNEXPECTED_END);
    expect(sink.events.at(-1)).toBe('error UNEXPECTED_END');
    expect(sink.events).not.toContain('end');
  });

  it('limits resolve into a frozen object and are validated', () => {
    const limits = resolveMultipartLimits({ maxFiles: 0, maxFileBytes: Infinity });
    expect(Object.isFrozen(limits)).toBe(true);
    expect(limits).toEqual({ ...DEFAULT_MULTIPART_LIMITS, maxFiles: 0, maxFileBytes: Infinity });
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => resolveMultipartLimits({ maxParts: bad })).toThrow(RangeError);
  });

  it('the defaults', () => {
    expect(DEFAULT_MULTIPART_LIMITS).toEqual({
      maxParts: 1000,
      maxFields: 1000,
      maxFiles: 100,
      maxFieldBytes: 1024 * 1024,
      maxTotalFieldBytes: 10 * 1024 * 1024,
      maxFileBytes: 100 * 1024 * 1024,
      maxPartHeaders: 20,
      maxPartHeaderBytes: 8 * 1024,
    });
  });

  it('messages name the limit and never echo the body', () => {
    const secret = 'S3CR3T';
    const sink = new ScriptedSink(new Set());
    const parser = new MultipartParser(B, sink, { maxFieldBytes: 2 });
    parser.execute(bytes(`--${B}\r\nContent-Disposition: form-data; name="${secret}"\r\n\r\n${secret}`));
    expect(parser.error?.code).toBe(FormErrorCode.FIELD_TOO_LARGE);
    expect(parser.error?.message).toContain('maxFieldBytes');
    expect(parser.error?.message).not.toContain(secret);
  });
});

describe('MultipartParser: cost under any split', () => {
  it('feeding 64 KiB of delimiter-like file data one byte at a time costs about what feeding it whole costs', () => {
    const data = '\r\n--AaB03'.repeat(7282);
    const input = bytes(body([[head('f', 'x'), data]]));
    const sink: MultipartSink = { onPartBegin() {}, onPartData() {}, onPartEnd() {} };
    const time = (step: number): number => {
      const parser = new MultipartParser(B, sink, { maxFileBytes: Infinity });
      const t0 = performance.now();
      for (let i = 0; i < input.length; i += step) parser.execute(input, i, Math.min(input.length, i + step));
      expect(parser.finish()).toBe(true);
      return performance.now() - t0;
    };
    time(1);
    const whole = Math.max(time(input.length), 0.5);
    const oneByte = time(1);
    // Per-call overhead makes byte-at-a-time slower by a constant, never by the data length.
    expect(oneByte / whole).toBeLessThan(200);
  });
});
