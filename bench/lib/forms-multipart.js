/**
 * multipart/form-data for the forms suite: three corpora, and Seal's MultipartParser and busboy
 * each driven the way a server drives it, doing the same work — every byte of every file is
 * consumed (counted), every field is collected as a string — and each reporting what it saw, so
 * the suite can check both read the corpus before timing them.
 *
 * Bodies are fed in 64 KiB chunks (views made before timing), as a socket delivers them.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { MultipartParser } from '../../dist/form/multipart.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('busboy')} */
const busboy = require('busboy');

export const CHUNK_BYTES = 64 * 1024;
const BOUNDARY = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
export const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/**
 * Limits wide enough for every corpus (Seal's defaults allow 100 files), still counted and checked
 * at every part as in a server.
 */
export const SEAL_LIMITS = { maxParts: 10_000, maxFields: 10_000, maxFiles: 10_000, maxFileBytes: 64 * 1024 * 1024 };

/** Deterministic bytes without CR, so no run of them can hold a delimiter. */
function fileBytes(size, seed) {
  const out = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const b = x >>> 24;
    out[i] = b === 0x0d ? 0x0e : b;
  }
  return out;
}

/** Field text a form carries: words, punctuation, a little UTF-8. */
function fieldText(i) {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'café', 'naïve', '€5', 'a&b', 'x=y'];
  const count = 3 + (i % 7);
  return Array.from({ length: count }, (_, k) => words[(i + k) % words.length]).join(' ');
}

/**
 * @typedef {{ name: string, filename?: string, contentType?: string, data: Buffer }} Part
 * @typedef {{ name: string, description: string, body: Buffer, chunks: Buffer[], expected: Seen }} Corpus
 * @typedef {{ fields: [string, string][], files: number, fileBytes: number }} Seen
 */

/** @param {Part[]} parts */
function serialize(parts) {
  const pieces = [];
  for (const part of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    pieces.push(Buffer.from(`${head}\r\n`, 'utf8'), part.data, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

/** @param {string} name @param {string} description @param {Part[]} parts @returns {Corpus} */
function corpus(name, description, parts) {
  const body = serialize(parts);
  const chunks = [];
  for (let at = 0; at < body.length; at += CHUNK_BYTES) chunks.push(body.subarray(at, at + CHUNK_BYTES));
  const files = parts.filter((p) => p.filename !== undefined);
  return {
    name,
    description,
    body,
    chunks,
    expected: {
      fields: parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString('utf8')]),
      files: files.length,
      fileBytes: files.reduce((n, p) => n + p.data.length, 0),
    },
  };
}

/** @returns {Corpus[]} */
export function multipartCorpora() {
  return [
    corpus('one 10 MiB file', 'a single file part of 10 MiB', [
      { name: 'upload', filename: 'video.bin', contentType: 'application/octet-stream', data: fileBytes(10 * 1024 * 1024, 1) },
    ]),
    corpus(
      '100 small fields',
      '100 text fields of 15–60 bytes',
      Array.from({ length: 100 }, (_, i) => ({ name: `field_${i}`, data: Buffer.from(fieldText(i)) })),
    ),
    corpus(
      '1 000 files of 1 KiB',
      '1000 file parts of 1 KiB each',
      Array.from({ length: 1000 }, (_, i) => ({ name: 'files', filename: `file_${i}.bin`, contentType: 'application/octet-stream', data: fileBytes(1024, i + 2) })),
    ),
  ];
}

// --- Seal -------------------------------------------------------------------------------------------

/** MultipartParser with a sink that counts file bytes and collects fields as strings, as request.form() does. */
export class SealMultipart {
  constructor() {
    this.parser = new MultipartParser(BOUNDARY, this, SEAL_LIMITS);
    this.resetCounters();
    this.inFile = false;
    this.name = '';
    /** @type {Buffer[]} */
    this.pieces = [];
    /** @type {Buffer | null} the field's bytes when they are one view of a chunk */
    this.view = null;
    this.viewStart = 0;
    this.viewEnd = 0;
  }

  resetCounters() {
    /** @type {[string, string][]} */
    this.fields = [];
    this.files = 0;
    this.fileBytes = 0;
  }

  /** Parses a whole body from its chunks; synchronous. */
  run(chunks) {
    const parser = this.parser;
    parser.reset();
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      if (parser.execute(chunk, 0, chunk.length) !== chunk.length) throw parser.error ?? new Error('seal stopped early');
    }
    if (!parser.finish()) throw parser.error;
  }

  /** @returns {Seen} */
  seen() {
    return { fields: this.fields, files: this.files, fileBytes: this.fileBytes };
  }

  onPartBegin(part) {
    this.inFile = part.filename !== undefined;
    this.name = part.name;
    if (this.inFile) this.files++;
    else {
      this.pieces = [];
      this.view = null;
    }
  }

  onPartData(buf, start, end, isView) {
    if (this.inFile) {
      this.fileBytes += end - start;
      return;
    }
    // A field in one view of the chunk (the usual case) is decoded from it at its end, with the
    // primitive busboy decodes fields with; other bytes are collected as Buffers and joined.
    if (isView && this.view === null && this.pieces.length === 0) {
      this.view = buf;
      this.viewStart = start;
      this.viewEnd = end;
      return;
    }
    if (this.view !== null) {
      this.pieces.push(Buffer.from(this.view.buffer, this.view.byteOffset + this.viewStart, this.viewEnd - this.viewStart));
      this.view = null;
    }
    this.pieces.push(isView ? Buffer.from(buf.buffer, buf.byteOffset + start, end - start) : Buffer.from(buf.subarray(start, end)));
  }

  onPartEnd() {
    if (this.inFile) return;
    let value = '';
    if (this.view !== null) value = this.view.utf8Slice(this.viewStart, this.viewEnd);
    else if (this.pieces.length > 0) value = Buffer.concat(this.pieces).utf8Slice();
    this.fields.push([this.name, value]);
  }
}

// --- busboy -----------------------------------------------------------------------------------------

/** busboy as its README drives it: fields from 'field', files read to the end through their streams. */
export class BusboyMultipart {
  constructor() {
    this.resetCounters();
  }

  resetCounters() {
    /** @type {[string, string][]} */
    this.fields = [];
    this.files = 0;
    this.fileBytes = 0;
  }

  /** @returns {Seen} */
  seen() {
    return { fields: this.fields, files: this.files, fileBytes: this.fileBytes };
  }

  /** Parses a whole body from its chunks; `done` once busboy closed and every file stream ended. */
  run(chunks, done) {
    const bb = busboy({ headers: { 'content-type': CONTENT_TYPE }, limits: { fieldSize: 1024 * 1024 } });
    let open = 1;
    const finish = () => {
      if (--open === 0) done();
    };
    bb.on('field', (name, value) => {
      this.fields.push([name, value]);
    });
    bb.on('file', (_name, stream) => {
      open++;
      this.files++;
      stream.on('data', (data) => {
        this.fileBytes += data.length;
      });
      stream.on('end', finish);
    });
    bb.on('close', finish);
    bb.on('error', (error) => {
      throw error;
    });
    for (let i = 0; i < chunks.length; i++) bb.write(chunks[i]);
    bb.end();
  }
}
