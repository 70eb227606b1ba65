/**
 * Answering a GET or HEAD with an open file: validators, preconditions (304/412), ranges
 * (206, multipart/byteranges, 416), and the content streamed from disk a chunk at a time with
 * backpressure, never read whole into memory.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import { reasonPhrase } from '../status.js';
import { evaluatePreconditions, formatHttpDate, rangeConditionHolds, weakEtag, type Validators } from './conditional.js';
import { contentRange, parseRange, unsatisfiedRange, type ByteRange, type RangeRequest } from './range.js';

/** Bytes read from disk per write to the socket: 64 KiB, as fs.createReadStream's highWaterMark. */
export const READ_CHUNK_BYTES = 64 * 1024;

export interface FileResponseOptions {
  /** The Content-Type of the file. */
  readonly contentType: string;
  /** The Cache-Control field, or false for none. */
  readonly cacheControl: string | false;
  /** Ranges honoured per request; more and the whole file is sent. */
  readonly maxRanges: number;
}

/** The methods a file answers; anything else is 405 (RFC 9110 §15.5.6). */
export const ALLOWED_METHODS = 'GET, HEAD';

export function isGetOrHead(request: Request): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

/** A short plain-text answer naming the status, e.g. `404 Not Found`. */
export function sendStatus(response: Response, status: number): void {
  response.status = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.end(`${status} ${reasonPhrase(status)}\n`);
}

/** 405 with the `Allow` field it MUST carry (RFC 9110 §15.5.6). */
export function sendMethodNotAllowed(response: Response): void {
  response.setHeader('Allow', ALLOWED_METHODS);
  sendStatus(response, 405);
}

/**
 * ETag and Last-Modified from the file's size and modification time. Last-Modified is never
 * later than now (RFC 9110 §8.8.2.1: not later than the response's Date), and whole seconds,
 * since that is all an HTTP-date can say and what If-Modified-Since will be compared with.
 */
export function validatorsOf(stats: Stats, now = Date.now()): Validators {
  const modified = Math.min(stats.mtimeMs, now);
  return { etag: weakEtag(stats.size, stats.mtimeMs), lastModified: Math.floor(modified / 1000) * 1000 };
}

/** The Range of a request, as RFC 9110 §14.2 and §13.1.5 have a server read it. */
function rangeOf(request: Request, size: number, validators: Validators, maxRanges: number): RangeRequest {
  // §14.2: GET is the only method range handling is defined for; HEAD gets the 200's fields.
  if (request.method !== 'GET') return { kind: 'whole' };
  const ranges = request.headers.getAll('range');
  // No Range, or two Range fields (not a list field): nothing to honour.
  if (ranges.length !== 1) return { kind: 'whole' };
  const ifRange = request.headers.getAll('if-range');
  if (ifRange.length > 1 || (ifRange.length === 1 && !rangeConditionHolds(ifRange[0]!, validators))) return { kind: 'whole' };
  return parseRange(ranges[0]!, size, maxRanges);
}

/**
 * Answers `request` (GET or HEAD) with the open regular `file`, whose current stats are `stats`.
 * The caller closes the file once the returned promise settles.
 */
export async function sendOpenFile(request: Request, response: Response, file: FileHandle, stats: Stats, options: FileResponseOptions): Promise<void> {
  const size = stats.size;
  const validators = validatorsOf(stats);
  response.setHeader('Accept-Ranges', 'bytes');
  response.setHeader('ETag', validators.etag);
  response.setHeader('Last-Modified', formatHttpDate(validators.lastModified));
  if (options.cacheControl !== false) response.setHeader('Cache-Control', options.cacheControl);

  switch (evaluatePreconditions(request.headers, validators, request.method)) {
    case 'not-modified':
      // RFC 9110 §15.4.5: the validators and Cache-Control a 200 would carry, and no content.
      response.status = 304;
      response.end();
      return;
    case 'failed':
      sendStatus(response, 412);
      return;
    default:
      break;
  }

  // The media type is only sniffed where the server did not know it (an unknown extension).
  response.setHeader('X-Content-Type-Options', 'nosniff');
  const range = rangeOf(request, size, validators, options.maxRanges);
  switch (range.kind) {
    case 'whole':
      response.status = 200;
      response.setHeader('Content-Type', options.contentType);
      response.setHeader('Content-Length', size);
      if (request.method !== 'HEAD') await copy(file, response, 0, size - 1);
      response.end();
      return;
    case 'unsatisfiable':
      // RFC 9110 §15.5.17: the current length, so the client can ask again sensibly.
      response.setHeader('Content-Range', unsatisfiedRange(size));
      sendStatus(response, 416);
      return;
    case 'ranges':
      if (range.ranges.length === 1) await sendOneRange(file, response, range.ranges[0]!, size, options.contentType);
      else await sendManyRanges(file, response, range.ranges, size, options.contentType);
      return;
  }
}

/** 206 with Content-Range (RFC 9110 §15.3.7.1). */
async function sendOneRange(file: FileHandle, response: Response, range: ByteRange, size: number, contentType: string): Promise<void> {
  response.status = 206;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Range', contentRange(range, size));
  response.setHeader('Content-Length', range.end - range.start + 1);
  await copy(file, response, range.start, range.end);
  response.end();
}

/**
 * 206 multipart/byteranges (RFC 9110 §14.6, §15.3.7.2): every part with its own Content-Type and
 * Content-Range, between boundary lines (RFC 2046 §5.1.1). The length of the whole is known
 * before the first byte, so it is sent with Content-Length rather than chunked.
 */
async function sendManyRanges(file: FileHandle, response: Response, ranges: readonly ByteRange[], size: number, contentType: string): Promise<void> {
  // 96 random bits: a boundary that turns up inside a file by chance is not a concern.
  const boundary = `seal-${randomBytes(12).toString('hex')}`;
  const heads = ranges.map(
    (range, i) => `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  let length = Buffer.byteLength(tail);
  for (let i = 0; i < ranges.length; i++) length += Buffer.byteLength(heads[i]!) + ranges[i]!.end - ranges[i]!.start + 1;
  response.status = 206;
  response.setHeader('Content-Type', `multipart/byteranges; boundary=${boundary}`);
  response.setHeader('Content-Length', length);
  for (let i = 0; i < ranges.length; i++) {
    if (!response.write(heads[i]!)) await response.drained();
    await copy(file, response, ranges[i]!.start, ranges[i]!.end);
  }
  response.end(tail);
}

/**
 * Streams bytes `start`..`end` (inclusive) of `file`, one chunk in memory at a time: a read,
 * a write, and a wait for the socket to drain whenever it is above its high-water mark.
 */
async function copy(file: FileHandle, response: Response, start: number, end: number): Promise<void> {
  let position = start;
  let remaining = end - start + 1;
  while (remaining > 0) {
    // A fresh buffer for every read: the socket keeps what was written until it is flushed.
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, remaining));
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    // Fewer bytes than Content-Length promised: throwing closes the connection, the only honest end.
    if (bytesRead === 0) throw new Error('the file became shorter while it was being sent');
    position += bytesRead;
    remaining -= bytesRead;
    if (!response.write(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead))) await response.drained();
  }
}
