/**
 * Forms as data, for the property tests and the busboy comparisons: a reference serializer, a
 * collector that runs MultipartParser into the same shape, and busboy run on the same bytes.
 */
import busboy from 'busboy';
import { Buffer } from 'node:buffer';
import { FormError } from '../../src/form/errors.ts';
import type { MultipartLimits } from '../../src/form/limits.ts';
import { MultipartParser } from '../../src/form/multipart.ts';
import type { Piece } from './support.ts';

export interface FormPart {
  name: string;
  /** A file when set. */
  filename?: string;
  /** A Content-Type header value to send, if any. */
  contentType?: string;
  data: Uint8Array;
}

/** How names and filenames are written into Content-Disposition. */
export type NameStyle =
  /** Quoted-string with quoted-pairs for `"` and `\`; RFC 8187 `name*`/`filename*` when a control character makes quoting impossible. Lossless. */
  | 'rfc'
  /** As the WHATWG HTML standard has browsers do it: CR, LF and `"` percent-encoded, nothing else escaped. Lossy, but what servers meet. */
  | 'browser';

const encoder = new TextEncoder();
const CTL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function percentEncodeUtf8(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function parameter(key: string, value: string, style: NameStyle): string {
  if (style === 'browser') return `${key}="${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
  if (CTL.test(value)) return `${key}*=UTF-8''${percentEncodeUtf8(value)}`;
  return `${key}="${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * What a name or filename reads as after `style` wrote it; null when it cannot be read at all.
 * Browsers do not escape backslashes; a recipient still reads a doubled backslash and a
 * backslash before a quote as escapes (so a value ending in one backslash escapes its closing
 * quote), and any other backslash as itself.
 */
export function asSent(value: string, style: NameStyle): string | null {
  if (style === 'rfc') return value;
  const escaped = value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
  if (CTL.test(escaped)) return null;
  let read = '';
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '\\') {
      if (i + 1 === escaped.length) return null; // the closing quote would be escaped
      if (escaped[i + 1] === '\\') i++;
    }
    read += escaped[i];
  }
  return read;
}

/** The bytes of a body; header text is written as UTF-8, as browsers do. */
export function serialize(parts: readonly FormPart[], boundary: string, style: NameStyle, preamble = '', epilogue = ''): Uint8Array {
  const chunks: Uint8Array[] = [encoder.encode(preamble === '' ? '' : `${preamble}\r\n`)];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; ${parameter('name', part.name, style)}`;
    if (part.filename !== undefined) head += `; ${parameter('filename', part.filename, style)}`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(encoder.encode(`${head}\r\n`), part.data, encoder.encode('\r\n'));
  }
  chunks.push(encoder.encode(`--${boundary}--${epilogue === '' ? '' : `\r\n${epilogue}`}`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether "\r\n--boundary" occurs in CRLF + data: then no serializer could send the data with it. */
export function boundaryOccursIn(boundary: string, data: Uint8Array): boolean {
  const needle = encoder.encode(`\r\n--${boundary}`);
  const haystack = new Uint8Array(data.length + 2);
  haystack.set([13, 10]);
  haystack.set(data, 2);
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(needle) >= 0;
}

export interface ParsedPart {
  /** As each parser reports it: busboy by its 'field' or 'file' event, Seal by the filename. */
  kind: 'field' | 'file';
  name: string;
  filename: string | undefined;
  /** The media type as each parser reports it (busboy: its mimeType). */
  contentType: string;
  data: Uint8Array;
}

export interface ParsedForm {
  parts: ParsedPart[];
  /** The error code (Seal) or message (busboy), or null. */
  error: string | null;
}

/** Runs MultipartParser over the pieces, collecting whole parts; a FormError ends it. */
export function parseWithSeal(boundary: string, pieces: readonly Piece[], limits?: Partial<MultipartLimits>): ParsedForm {
  const parts: ParsedPart[] = [];
  let chunks: Uint8Array[] = [];
  let current: ParsedPart | null = null;
  const parser = new MultipartParser(
    boundary,
    {
      onPartBegin(info) {
        current = { kind: info.filename === undefined ? 'field' : 'file', name: info.name, filename: info.filename, contentType: info.contentType, data: new Uint8Array(0) };
        chunks = [];
      },
      onPartData(buf, start, end, isView) {
        // Keep views as they are (zero-copy); copy only the parser's own bytes.
        chunks.push(isView ? buf.subarray(start, end) : buf.slice(start, end));
      },
      onPartEnd() {
        if (current === null) throw new Error('onPartEnd outside a part');
        current.data = Buffer.concat(chunks);
        parts.push(current);
        current = null;
      },
    },
    limits,
  );
  for (const piece of pieces) {
    let start = piece.start;
    while (start < piece.end && parser.error === null) start += parser.execute(piece.buf, start, piece.end);
    if (parser.error !== null) break;
  }
  parser.finish();
  const error = parser.error as FormError | null;
  return { parts, error: error === null ? null : error.code };
}

/** busboy over the same bytes, set up to compare: UTF-8 parameters, paths kept, no limits. */
export function parseWithBusboy(boundary: string, body: Uint8Array, chunkSize = 64 * 1024): Promise<ParsedForm> {
  return new Promise((resolve) => {
    const bb = busboy({
      headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
      preservePath: true,
      defParamCharset: 'utf8',
      limits: { fieldSize: Infinity, fieldNameSize: Infinity },
    });
    const parts: ParsedPart[] = [];
    let settled = false;
    const settle = (error: string | null): void => {
      if (!settled) resolve({ parts, error });
      settled = true;
    };
    // busboy reports an empty name as undefined; every generated part has a name parameter.
    bb.on('field', (name, value, info) => {
      parts.push({ kind: 'field', name: name ?? '', filename: undefined, contentType: info.mimeType, data: encoder.encode(value) });
    });
    bb.on('file', (name, stream, info) => {
      const part: ParsedPart = { kind: 'file', name: name ?? '', filename: info.filename, contentType: info.mimeType, data: new Uint8Array(0) };
      parts.push(part);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        part.data = Buffer.concat(chunks);
      });
    });
    bb.on('close', () => settle(null));
    bb.on('error', (error: Error) => settle(error.message));
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.length);
    for (let at = 0; at < buffer.length; at += chunkSize) bb.write(buffer.subarray(at, at + chunkSize));
    bb.end();
  });
}
