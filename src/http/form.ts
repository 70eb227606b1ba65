/**
 * `request.form()`: the request's fields whatever carried them. GET and HEAD (and any method
 * without a body) take the query string's; POST, PUT and PATCH the body's, urlencoded or
 * multipart, streamed through the form parsers as the socket delivers it. Uploaded files go to a
 * temporary file (removed once the response has ended), to memory, or to the handler's own
 * consumer, with backpressure all the way to the socket; a whole upload is held in memory only when
 * the handler asks for it.
 */
import { createHash, type Hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { FormError } from '../form/errors.js';
import { Form, type FileEntry } from '../form/fields.js';
import type { MultipartLimits } from '../form/limits.js';
import { MultipartParser, type PartInfo } from '../form/multipart.js';
import { boundaryOf, parseContentType } from '../form/params.js';
import { UrlencodedParser, emptyFieldMap, parseUrlencodedBytes, type FieldMap, type UrlencodedLimits } from '../form/urlencoded.js';
import { RequestBody } from './body.js';
import { ErrorCode, SealError } from './errors.js';
import type { Request } from './request.js';

/** A file part handed to a handler's own consumer: read `content` to the end (or throw). */
export interface FilePart {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly content: AsyncIterable<Buffer>;
}

export interface FormOptions {
  /** Keep fields whose value is empty. Default false, as cgi.FieldStorage. */
  keepBlankValues?: boolean;
  /**
   * Where uploaded files go: 'temp' (default) a temporary file each, removed once the response has
   * ended; 'memory' their bytes; 'discard' only their size (and hash); or a consumer called once
   * per file, which reads the content (what it leaves unread is dropped).
   */
  files?: 'temp' | 'memory' | 'discard' | ((file: FilePart) => Promise<void>);
  /** Compute each file's SHA-256 while it streams. */
  hash?: boolean;
  /** The largest body read; default the server's maxBodyBytes. → 413 */
  maxBodyBytes?: number;
  /** Form limits: multipart (parts, fields, files, sizes; form/limits.ts) and urlencoded (fields, name and value sizes). */
  limits?: Partial<MultipartLimits> & Partial<UrlencodedLimits>;
}

const URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';

export async function readForm(request: Request, options: FormOptions = {}): Promise<Form> {
  const keepBlank = options.keepBlankValues ?? false;
  const method = request.method;
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return new Form(withoutBlanks(request.query, keepBlank));
  const maxBodyBytes = options.maxBodyBytes ?? request.maxBodyBytes;
  const contentType = request.headers.get('content-type');
  const essence = contentType === undefined ? undefined : parseContentType(contentType)?.essence;
  if (essence === URLENCODED) return readUrlencoded(request.body, options, maxBodyBytes);
  if (essence === MULTIPART) {
    return readMultipart(request.body, boundaryOf(contentType), options, maxBodyBytes, (cleanup) => request.onFinished(cleanup));
  }
  throw new SealError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `a form is ${URLENCODED} or ${MULTIPART}`);
}

/** A urlencoded body, parsed chunk by chunk as it arrives, under the field limits. */
async function readUrlencoded(source: AsyncIterable<Buffer>, options: FormOptions, maxBodyBytes: number): Promise<Form> {
  const parser = new UrlencodedParser(null, { keepBlankValues: options.keepBlankValues ?? false, limits: options.limits });
  let received = 0;
  for await (const chunk of source) {
    received += chunk.length;
    if (received > maxBodyBytes) throw new SealError(ErrorCode.BODY_TOO_LARGE, `the body is larger than ${maxBodyBytes} bytes`);
    parser.execute(chunk, 0, chunk.length);
    if (parser.error !== null) throw parser.error;
  }
  if (!parser.finish()) throw parser.error!;
  return new Form(parser.fields);
}

/**
 * The form in a body already read whole (`body`, with its Content-Type), or null when the body is
 * not a form. For handlers that need the raw bytes too; files are as `options.files` says
 * ('temp' is not allowed here: nothing would remove the files).
 */
export async function formOfBytes(body: Buffer, contentType: string | undefined, options: FormOptions = {}): Promise<Form | null> {
  const essence = contentType === undefined ? undefined : parseContentType(contentType)?.essence;
  // From the bytes (WHATWG URL §5.1), as request.form() reads them: decoding the body as UTF-8 first
  // would make a byte that is not UTF-8 before an escape ("\xC2%B0", "°") a U+FFFD of its own.
  if (essence === URLENCODED) return new Form(parseUrlencodedBytes(body, { keepBlankValues: options.keepBlankValues ?? false }));
  if (essence !== MULTIPART) return null;
  if ((options.files ?? 'temp') === 'temp') throw new TypeError("formOfBytes keeps files in 'memory' or 'discard's them");
  return readMultipart([body], boundaryOf(contentType), options, body.length, () => undefined);
}

function withoutBlanks(fields: FieldMap, keepBlank: boolean): FieldMap {
  const out = emptyFieldMap();
  for (const name of Object.keys(fields)) {
    const values = keepBlank ? fields[name]! : fields[name]!.filter((value) => value !== '');
    if (values.length > 0) out[name] = values.slice();
  }
  return out;
}

/** One file part on its way to where it is kept; `push` answers true when its consumer is behind. */
interface FileReceiver {
  readonly body: RequestBody;
  size: number;
  readonly done: Promise<FileEntry>;
}

async function readMultipart(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  boundary: string,
  options: FormOptions,
  maxBodyBytes: number,
  onFinished: (cleanup: () => void) => void,
): Promise<Form> {
  const keepBlank = options.keepBlankValues ?? false;
  const fields = emptyFieldMap();
  const receivers: FileReceiver[] = [];
  let field: { name: string; pieces: Buffer[] } | null = null;
  let receiver: FileReceiver | null = null;
  // The driving loop waits here while a file's consumer is behind.
  let wake: (() => void) | null = null;
  let tempDir: Promise<string> | undefined;
  const temporaryFolder = (): Promise<string> => {
    if (tempDir === undefined) {
      tempDir = mkdtemp(join(tmpdir(), 'seal-upload-'));
      const folder = tempDir;
      // Removed synchronously once the folder exists: a server stopped right after the response
      // (SIGTERM, then exit) must not leave an upload behind in /tmp.
      onFinished(() => void folder.then((path) => rmSync(path, { recursive: true, force: true })).catch(() => undefined));
    }
    return tempDir;
  };

  const parser = new MultipartParser(
    boundary,
    {
      onPartBegin(part: PartInfo) {
        if (part.filename === undefined) field = { name: part.name, pieces: [] };
        else {
          const body = new RequestBody({ startReading() {}, resume: () => wake?.(), abandon() {} }, -1);
          receiver = { body, size: 0, done: keep(part, body, options, temporaryFolder) };
          receivers.push(receiver);
        }
      },
      onPartData(buf, start, end, isView) {
        // A view of the socket's chunk when the bytes are the caller's; a copy of the few held-back ones.
        const piece = isView ? Buffer.from(buf.buffer, buf.byteOffset + start, end - start) : Buffer.from(buf.subarray(start, end));
        if (field !== null) {
          field.pieces.push(piece);
          return false;
        }
        receiver!.size += piece.length;
        return receiver!.body.push(piece);
      },
      onPartEnd() {
        if (field !== null) {
          const value = Buffer.concat(field.pieces).toString('utf8');
          if (keepBlank || value !== '') (fields[field.name] ??= []).push(value);
          field = null;
        } else {
          receiver!.body.end();
          receiver = null;
        }
      },
    },
    options.limits,
  );

  let received = 0;
  try {
    for await (const chunk of source) {
      received += chunk.length;
      if (received > maxBodyBytes) throw new SealError(ErrorCode.BODY_TOO_LARGE, `the body is larger than ${maxBodyBytes} bytes`);
      let offset = 0;
      while (offset < chunk.length) {
        offset += parser.execute(chunk, offset, chunk.length);
        if (parser.error !== null) throw parser.error;
        // A file consumer is behind (the parser paused, perhaps on the chunk's last byte): read no
        // more of the body until it catches up, or fails. Checked, not remembered, so a consumer
        // that caught up meanwhile costs no wait.
        const current = receivers.at(-1);
        while (current !== undefined && current.body.behind) {
          await new Promise<void>((resolve, reject) => {
            wake = resolve;
            current.done.catch(reject);
          });
          wake = null;
        }
      }
    }
    if (!parser.finish()) throw parser.error ?? new FormError('UNEXPECTED_END', 'the body ended inside the form');
    const files = await Promise.all(receivers.map((r) => r.done));
    return new Form(fields, files);
  } catch (error) {
    // Whatever consumers are still reading learn that the form failed.
    for (const r of receivers) r.body.fail(error instanceof Error ? error : new Error(String(error)));
    await Promise.allSettled(receivers.map((r) => r.done));
    throw error;
  }
}

/** Streams one file part to where `options.files` says, hashing it on the way when asked. */
async function keep(part: PartInfo, body: RequestBody, options: FormOptions, temporaryFolder: () => Promise<string>): Promise<FileEntry> {
  const hash: Hash | undefined = options.hash === true ? createHash('sha256') : undefined;
  const filename = part.filename ?? '';
  const mode = options.files ?? 'temp';
  let size = 0;
  let path: string | undefined;
  let bytes: Uint8Array | undefined;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const piece of body) {
      size += piece.length;
      hash?.update(piece);
      yield piece;
    }
  };
  if (mode === 'discard') {
    for await (const piece of counted()) void piece;
  } else if (mode === 'memory') {
    const pieces: Buffer[] = [];
    for await (const piece of counted()) pieces.push(piece);
    bytes = Buffer.concat(pieces, size);
  } else if (mode === 'temp') {
    const folder = await temporaryFolder();
    path = join(folder, `${String(temporaryFiles++).padStart(6, '0')}.upload`);
    const handle = await open(path, 'wx', 0o600);
    try {
      for await (const piece of counted()) await handle.write(piece);
    } finally {
      await handle.close();
    }
  } else {
    await mode({ field: part.name, filename, contentType: part.contentType, content: counted() });
    // A consumer that stopped early leaves the rest unread: drop it so the form can go on.
    body.discard();
  }
  return { field: part.name, filename, contentType: part.contentType, size, sha256: hash?.digest('hex'), path, bytes };
}

let temporaryFiles = 0;
