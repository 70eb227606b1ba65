/**
 * Seal and busboy on the bodies where multipart parsers are known to part ways: where they agree,
 * and, where they do not, what each does (see the list in src/form/multipart.ts). busboy's side is
 * recorded as observed from busboy 1.6, so a change in either shows up here.
 */
import { describe, expect, it } from 'vitest';
import { parseWithBusboy, parseWithSeal, type ParsedForm } from './forms.ts';
import { bytes, oneBytePieces } from './support.ts';

const B = 'AaB03x';
const cd = (name: string, filename?: string): string =>
  `Content-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n`;

interface Part {
  kind: 'field' | 'file';
  name: string;
  filename?: string;
  contentType: string;
  data: string;
}

/** The form as text, for readable expectations; busboy's errors reduced to "error". */
function view(form: ParsedForm): { parts: Part[]; error: string | null } {
  return {
    parts: form.parts.map((p) => ({
      kind: p.kind,
      name: p.name,
      ...(p.filename === undefined ? {} : { filename: p.filename }),
      contentType: p.contentType,
      data: String.fromCharCode(...p.data),
    })),
    error: form.error,
  };
}

interface Case {
  name: string;
  body: string;
  seal: { parts: Part[]; error: string | null };
  /** What busboy reads, when it reads something else. */
  busboy?: { parts: Part[]; error: string | null };
}

const field = (name: string, data: string, contentType = 'text/plain'): Part => ({ kind: 'field', name, contentType, data });
const file = (name: string, filename: string | undefined, data: string, contentType = 'application/octet-stream'): Part => ({
  kind: 'file',
  name,
  ...(filename === undefined ? {} : { filename }),
  contentType,
  data,
});

const cases: Case[] = [
  {
    name: 'file data with runs that resemble the delimiter: both read it as data',
    body: `--${B}\r\n${cd('f', 'a.bin')}Content-Type: application/octet-stream\r\n\r\n\r\n--AaB03\r\n--AaB0x--AaB03x\r--AaB03x\n--AaB03x\r\n\r\n--${B}--`,
    seal: { parts: [file('f', 'a.bin', '\r\n--AaB03\r\n--AaB0x--AaB03x\r--AaB03x\n--AaB03x\r\n')], error: null },
  },
  {
    name: 'preamble, epilogue and a first delimiter without CRLF: both agree',
    body: `--${B}\r\n${cd('a')}\r\n1\r\n--${B}--\r\nepilogue\r\n--${B}\r\n${cd('b')}\r\n2\r\n--${B}--`,
    seal: { parts: [field('a', '1')], error: null },
  },
  {
    name: 'the boundary as the prefix of a longer run: Seal refuses, busboy ends the part and drops the rest of the line and more',
    body: `--${B}\r\n${cd('f', 'x')}\r\ndata\r\n--${B}X more\r\n--${B}\r\n${cd('b')}\r\nv\r\n--${B}--`,
    seal: { parts: [], error: 'INVALID_DELIMITER' },
    busboy: { parts: [file('f', 'x', 'data', 'text/plain'), field('b', 'v')], error: null },
  },
  {
    name: 'transport padding after a delimiter (RFC 2046 §5.1.1): Seal reads the part, busboy drops it silently',
    body: `--${B} \r\n${cd('a')}\r\ndata\r\n--${B}--`,
    seal: { parts: [field('a', 'data')], error: null },
    busboy: { parts: [], error: null },
  },
  {
    name: 'a part with no body, the delimiter right after its blank line: busboy reads the next headers as data',
    body: `--${B}\r\n${cd('a')}\r\n--${B}\r\n${cd('b')}\r\nafter\r\n--${B}--`,
    seal: { parts: [field('a', ''), field('b', 'after')], error: null },
    busboy: { parts: [field('a', `${cd('b')}\r\nafter`)], error: null },
  },
  {
    name: 'filename="" of a type other than octet-stream: a file for Seal (RFC 7578 §4.2), a field for busboy',
    body: `--${B}\r\n${cd('f', '')}Content-Type: image/png\r\n\r\n\x89PNG\r\n--${B}--`,
    seal: { parts: [file('f', '', '\x89PNG', 'image/png')], error: null },
    // busboy decodes a field as UTF-8: 0x89 becomes U+FFFD (EF BF BD).
    busboy: { parts: [field('f', '\xef\xbf\xbdPNG', 'image/png')], error: null },
  },
  {
    name: 'octet-stream without a filename: a field for Seal, a file for busboy',
    body: `--${B}\r\n${cd('f')}Content-Type: application/octet-stream\r\n\r\nbytes\r\n--${B}--`,
    seal: { parts: [field('f', 'bytes', 'application/octet-stream')], error: null },
    busboy: { parts: [file('f', undefined, 'bytes')], error: null },
  },
  {
    name: 'a part without a name: Seal refuses (RFC 7578 §4.2), busboy hands it over nameless',
    body: `--${B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${B}--`,
    seal: { parts: [], error: 'INVALID_FORM_DATA' },
    busboy: { parts: [field('', 'x')], error: null },
  },
  {
    name: 'backslashes as browsers send them: both keep them, and both read \\" and \\\\ as escapes',
    body: `--${B}\r\nContent-Disposition: form-data; name="a\\"b\\\\c"; filename="C:\\dir\\f.txt"\r\n\r\nx\r\n--${B}--`,
    seal: { parts: [file('a"b\\c', 'C:\\dir\\f.txt', 'x', 'application/octet-stream')], error: null },
    busboy: { parts: [file('a"b\\c', 'C:\\dir\\f.txt', 'x', 'text/plain')], error: null },
  },
  {
    name: 'a truncated body: both refuse it',
    body: `--${B}\r\n${cd('a')}\r\npartial`,
    seal: { parts: [], error: 'UNEXPECTED_END' },
    busboy: { parts: [], error: 'Unexpected end of form' },
  },
];

describe('Seal and busboy on the same bodies', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const input = bytes(c.body);
      const seal = view(parseWithSeal(B, [{ buf: input, start: 0, end: input.length }]));
      expect(seal).toEqual(c.seal);
      expect(view(parseWithSeal(B, oneBytePieces(input))), 'one byte per chunk').toEqual(c.seal);
      expect(view(await parseWithBusboy(B, input)), 'busboy').toEqual(c.busboy ?? c.seal);
    });
  }
});
