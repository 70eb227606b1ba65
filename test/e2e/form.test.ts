/**
 * request.form() end to end, over real sockets: a server whose handler awaits `request.form()` and
 * answers with what it got, and clients that are fetch() with URLSearchParams or FormData bodies
 * and raw sockets writing bytes in pieces. Query strings, urlencoded and multipart bodies; files
 * in temporary files (gone after the response), in memory, discarded with a hash, and streamed to
 * a slow consumer with backpressure; and the refusals (415, 413, 400).
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FormOptions } from '../../src/http/form.js';
import type { Request } from '../../src/http/request.js';
import type { Response } from '../../src/http/response.js';
import { cleanup, RawClient, sleep, startServer, waitFor, within } from './support.js';

afterEach(cleanup);

interface FileSummary {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string | null;
  path: string | null;
  /** The bytes, base64, for files kept in memory. */
  bytes: string | null;
}

interface FormSummary {
  fields: Record<string, string[]>;
  names: string[];
  files: FileSummary[];
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** What the handler answers: the form as JSON. */
function summarize(form: Awaited<ReturnType<Request['form']>>): FormSummary {
  return {
    fields: { ...form.fields() },
    names: form.names(),
    files: form.files.map((file) => ({
      field: file.field,
      filename: file.filename,
      contentType: file.contentType,
      size: file.size,
      sha256: file.sha256 ?? null,
      path: file.path ?? null,
      bytes: file.bytes === undefined ? null : Buffer.from(file.bytes).toString('base64'),
    })),
  };
}

type Inspect = (request: Request, form: Awaited<ReturnType<Request['form']>>) => Promise<void> | void;

/**
 * A server whose handler reads `request.form(options)` and answers its summary as JSON. Errors
 * are left to the server, which answers them with their status and code.
 */
async function formServer(options: FormOptions = {}, inspect?: Inspect, maxBodyBytes?: number): Promise<{ port: number; url: string }> {
  const { port } = await startServer({
    maxBodyBytes,
    handler: async (request: Request, response: Response) => {
      const form = await request.form(options);
      await inspect?.(request, form);
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(summarize(form)));
    },
  });
  return { port, url: `http://127.0.0.1:${port}` };
}

async function json(response: globalThis.Response): Promise<FormSummary> {
  expect(response.status).toBe(200);
  return (await response.json()) as FormSummary;
}

const CRLF = '\r\n';

/** A multipart body written by hand: [headers, data] per part, with the given boundary. */
function multipart(boundary: string, parts: [string, Uint8Array | string][]): Buffer {
  const pieces: Buffer[] = [];
  for (const [headers, data] of parts) {
    pieces.push(Buffer.from(`--${boundary}${CRLF}${headers}${CRLF}${CRLF}`, 'latin1'), Buffer.from(data), Buffer.from(CRLF));
  }
  pieces.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(pieces);
}

const disposition = (name: string, filename?: string): string =>
  `Content-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`;

/** A raw POST of `body` with the given Content-Type, written in `pieces` pieces a tick apart. */
async function rawPost(port: number, contentType: string, body: Buffer, pieces = 1, extraHead = ''): Promise<RawClient> {
  const client = await RawClient.connect(port);
  client.write(`POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n${extraHead}\r\n`);
  const step = Math.max(1, Math.ceil(body.length / pieces));
  for (let at = 0; at < body.length; at += step) {
    client.write(body.subarray(at, at + step));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return client;
}

/** Deterministic bytes of every value. */
function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('request.form(): the query string of a GET', () => {
  const target = '/search?q=seal+http&empty=&bare&q=%C3%A9t%C3%A9&&x=%zz&__proto__=1';

  it('gives the query fields, blank values dropped by default', async () => {
    const { url } = await formServer();
    const form = await json(await fetch(url + target));
    // Entries, not an object literal: in a literal, __proto__ would set the prototype.
    expect(Object.entries(form.fields)).toEqual([
      ['q', ['seal http', 'été']],
      ['x', ['%zz']],
      ['__proto__', ['1']],
    ]);
    expect(form.names).toEqual(['q', 'x', '__proto__']);
    expect(form.files).toEqual([]);
  });

  it('keeps blank values with keepBlankValues', async () => {
    const { url } = await formServer({ keepBlankValues: true });
    const form = await json(await fetch(url + target));
    expect(Object.entries(form.fields)).toEqual([
      ['q', ['seal http', 'été']],
      ['empty', ['']],
      ['bare', ['']],
      ['x', ['%zz']],
      ['__proto__', ['1']],
    ]);
    expect(form.names).toEqual(['q', 'empty', 'bare', 'x', '__proto__']);
  });

  it('a HEAD has the same fields; a GET without a query has none', async () => {
    let seen: Record<string, string[]> = {};
    const { url } = await formServer({}, (_request, form) => void (seen = { ...form.fields() }));
    expect((await fetch(`${url}/?a=1`, { method: 'HEAD' })).status).toBe(200);
    expect(seen).toEqual({ a: ['1'] });
    expect((await json(await fetch(`${url}/`))).fields).toEqual({});
  });
});

describe('request.form(): urlencoded bodies', () => {
  it('POST from fetch with a URLSearchParams body, in order, repeated names as lists', async () => {
    const { url } = await formServer();
    const body = new URLSearchParams([
      ['name', 'Ada Lovelace'],
      ['tags', 'math'],
      ['note', '1 + 1 = 2 & more'],
      ['tags', 'poetry'],
      ['blank', ''],
      ['ünïcödé', '😀 ok'],
    ]);
    const form = await json(await fetch(`${url}/form`, { method: 'POST', body }));
    expect(form.fields).toEqual({ name: ['Ada Lovelace'], tags: ['math', 'poetry'], note: ['1 + 1 = 2 & more'], ünïcödé: ['😀 ok'] });
    expect(form.names).toEqual(['name', 'tags', 'note', 'ünïcödé']);
  });

  it('PUT and PATCH read the body too; the query is not mixed in', async () => {
    const { url } = await formServer({ keepBlankValues: true });
    for (const method of ['PUT', 'PATCH']) {
      const form = await json(
        await fetch(`${url}/form?fromQuery=1`, { method, body: 'a=1&b=', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' } }),
      );
      expect(form.fields).toEqual({ a: ['1'], b: [''] });
    }
  });

  it('a raw body in one-byte writes, escapes and UTF-8 split across packets', async () => {
    const { port } = await formServer();
    const body = Buffer.from('greeting=caf%C3%A9+%E2%82%AC&raw=\u00e9t\u00e9&plus=a%2Bb', 'utf8');
    const client = await rawPost(port, 'application/x-www-form-urlencoded', body, body.length);
    const [response] = await client.responses(1);
    expect(response!.status).toBe(200);
    expect((JSON.parse(response!.body.toString()) as FormSummary).fields).toEqual({ greeting: ['café €'], raw: ['été'], plus: ['a+b'] });
  });

  it('413 when the body is larger than maxBodyBytes', async () => {
    const { url } = await formServer({ maxBodyBytes: 100 });
    const response = await fetch(`${url}/form`, { method: 'POST', body: `a=${'x'.repeat(200)}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/BODY_TOO_LARGE/);
  });
});

describe('request.form(): multipart bodies', () => {
  /** Several fields and files, as a browser's FormData sends them. */
  function browserForm(): { data: FormData; files: { field: string; filename: string; type: string; bytes: Buffer }[] } {
    const files = [
      { field: 'docs', filename: 'a.txt', type: 'text/plain', bytes: Buffer.from('first file\r\n--not a boundary\r\n') },
      { field: 'docs', filename: 'b.bin', type: 'application/octet-stream', bytes: pattern(200_000, 7) },
      { field: 'photo', filename: 'été.png', type: 'image/png', bytes: pattern(3_000, 9) },
      { field: 'empty', filename: 'empty.dat', type: 'application/x-empty', bytes: Buffer.alloc(0) },
    ];
    const data = new FormData();
    data.append('title', 'Report');
    data.append('tags', 'a');
    data.append(files[0]!.field, new Blob([files[0]!.bytes], { type: files[0]!.type }), files[0]!.filename);
    data.append('tags', 'b & c = d');
    for (const file of files.slice(1)) data.append(file.field, new Blob([file.bytes], { type: file.type }), file.filename);
    data.append('blank', '');
    data.append('ünïcödé', '😀\r\nline two');
    return { data, files };
  }

  it("fetch + FormData, files: 'memory': every field and every file's bytes", async () => {
    const { url } = await formServer({ files: 'memory' });
    const { data, files } = browserForm();
    const form = await json(await fetch(`${url}/upload`, { method: 'POST', body: data }));
    expect(form.fields).toEqual({ title: ['Report'], tags: ['a', 'b & c = d'], ünïcödé: ['😀\r\nline two'] });
    expect(form.files).toEqual(
      files.map((file) => ({
        field: file.field,
        filename: file.filename,
        contentType: file.type,
        size: file.bytes.length,
        sha256: null,
        path: null,
        bytes: file.bytes.toString('base64'),
      })),
    );
  });

  it("files: 'temp': temporary files exist during the handler and are gone after the response", async () => {
    const during: { path: string; size: number; same: boolean }[] = [];
    const { data, files } = browserForm();
    const { url } = await formServer({ files: 'temp' }, async (_request, form) => {
      for (const file of form.files) {
        const path = file.path!;
        const expected = files.find((f) => f.filename === file.filename)!.bytes;
        during.push({ path, size: (await stat(path)).size, same: Buffer.compare(await readFile(path), expected) === 0 });
      }
    });
    const form = await json(await fetch(`${url}/upload`, { method: 'POST', body: data }));
    expect(during.map((d) => [d.size, d.same])).toEqual(files.map((f) => [f.bytes.length, true]));
    expect(form.files.map((f) => f.path)).toEqual(during.map((d) => d.path));
    // Removed once the response has ended: a bounded wait, as removal is asynchronous.
    await waitFor(() => during.every((d) => !existsSync(d.path)), 5_000, 'the temporary files to be removed');
  });

  it("files: 'discard' with hash: true gives each file's size and SHA-256, and no bytes", async () => {
    const { url } = await formServer({ files: 'discard', hash: true });
    const { data, files } = browserForm();
    const form = await json(await fetch(`${url}/upload`, { method: 'POST', body: data }));
    expect(form.files.map((f) => [f.field, f.size, f.sha256, f.path, f.bytes])).toEqual(files.map((f) => [f.field, f.bytes.length, sha256(f.bytes), null, null]));
  });

  it('a raw multipart body in small writes, from a client that is not a browser', async () => {
    const { port } = await formServer({ files: 'memory' });
    const body = multipart('AaB03x', [
      [disposition('field1'), 'Joe owes €100.'],
      [`${disposition('pics', 'file1.txt')}\r\nContent-Type: text/plain`, '... contents of file1.txt ...'],
    ]);
    const client = await rawPost(port, 'multipart/form-data; boundary=AaB03x', body, 37);
    const [response] = await client.responses(1);
    const form = JSON.parse(response!.body.toString()) as FormSummary;
    expect(form.fields).toEqual({ field1: ['Joe owes €100.'] });
    expect(form.files.map((f) => [f.field, f.filename, f.contentType, Buffer.from(f.bytes!, 'base64').toString()])).toEqual([
      ['pics', 'file1.txt', 'text/plain', '... contents of file1.txt ...'],
    ]);
  });

  it('file data full of boundary-like runs comes back exact', async () => {
    const boundary = '----SealBoundary7MA4YWxkTrZu0gW';
    const delimiter = `\r\n--${boundary}`;
    const runs: string[] = [];
    for (let i = 1; i < delimiter.length; i++) runs.push(delimiter.slice(0, i));
    runs.push(`--${boundary}`, `\r--${boundary}`, `\n--${boundary}`, `${delimiter.slice(0, -1)}X`, `\r\n-${boundary}`, `\r\n--${boundary.toLowerCase()}`);
    const data = Buffer.concat(runs.flatMap((run, i) => [Buffer.from(run, 'latin1'), pattern(i % 5, i)]));
    const { url } = await formServer({ files: 'memory', hash: true });
    const body = multipart(boundary, [
      [disposition('lookalikes', 'l.bin'), data],
      [disposition('trailing', 't.bin'), Buffer.from(`${delimiter.slice(0, -1)}`, 'latin1')],
      // Not at the very start: data that begins with the dash-boundary would end an empty part
      // there (RFC 2046 §5.1.1: a part's body is optional), so no sender may write it.
      [disposition('field'), `x--${boundary}\r\n-${boundary}--`],
    ]);
    const response = await fetch(`${url}/upload`, { method: 'POST', body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    const form = await json(response);
    expect(form.fields).toEqual({ field: [`x--${boundary}\r\n-${boundary}--`] });
    expect(Buffer.from(form.files[0]!.bytes!, 'base64').equals(data)).toBe(true);
    expect(form.files[0]!.sha256).toBe(sha256(data));
    expect(Buffer.from(form.files[1]!.bytes!, 'base64').toString('latin1')).toBe(delimiter.slice(0, -1));

    // And through FormData, whose boundary we do not choose: lookalikes of undici's boundary shape.
    const undiciLike = Buffer.from(Array.from({ length: 50 }, (_, i) => `\r\n------formdata-undici-0${String(i).repeat(11).slice(0, 11)}\r\n--`).join(''), 'latin1');
    const formData = new FormData();
    formData.append('f', new Blob([undiciLike]), 'u.bin');
    const viaFetch = await json(await fetch(`${url}/upload`, { method: 'POST', body: formData }));
    expect(Buffer.from(viaFetch.files[0]!.bytes!, 'base64').equals(undiciLike)).toBe(true);
  });
});

/** Pending `next()` results that are already queued resolve within a few microtask turns. */
function microtaskTurns(n: number): Promise<'empty'> {
  let p: Promise<'empty'> = Promise.resolve('empty');
  for (let i = 0; i < n; i++) p = p.then((v) => v);
  return p;
}

/** What a slow consumer saw of one streamed upload. */
interface SlowRead {
  form: FormSummary;
  received: number;
  sha256: string;
  reads: number;
  /** The most bytes found already queued for the consumer when it came back to read. */
  largestQueue: number;
}

/**
 * Streams a multipart body with one file of `upload` (between two fields) to a server whose file
 * consumer reads slowly: it sleeps, then takes everything already queued — what resolves within
 * microtask turns, before any I/O can add to it — so each batch is what the server held for it.
 */
async function slowConsumerUpload(upload: Buffer): Promise<SlowRead> {
  let largestQueue = 0;
  let received = 0;
  let reads = 0;
  const hash = createHash('sha256');
  const { port } = await formServer(
    {
      files: async (file) => {
        const chunks = file.content[Symbol.asyncIterator]();
        let pending = chunks.next();
        for (;;) {
          await sleep(2);
          let queued = 0;
          for (;;) {
            const next = await Promise.race([pending, microtaskTurns(50)]);
            if (next === 'empty') break;
            if (next.done === true) {
              largestQueue = Math.max(largestQueue, queued);
              return;
            }
            queued += next.value.length;
            received += next.value.length;
            reads++;
            hash.update(next.value);
            pending = chunks.next();
          }
          largestQueue = Math.max(largestQueue, queued);
        }
      },
    },
    undefined,
    64 * 1024 * 1024,
  );
  const boundary = 'slow-consumer-boundary';
  const body = multipart(boundary, [
    [disposition('before'), 'a field first'],
    [disposition('big', 'big.bin'), upload],
    [disposition('after'), 'and one after'],
  ]);
  const client = await RawClient.connect(port);
  client.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`);
  const written = new Promise<void>((resolve, reject) => client.socket.write(body, (err) => (err ? reject(err) : resolve())));
  await within(written, 30_000, 'the upload to be written');
  const [response] = await client.responses(1, 30_000);
  expect(response!.status).toBe(200);
  return { form: JSON.parse(response!.body.toString()) as FormSummary, received, sha256: hash.digest('hex'), reads, largestQueue };
}

describe('request.form(): a consumer function streaming a large upload', () => {
  const size = 16 * 1024 * 1024;
  const upload = pattern(size, 3);

  it('reads 16 MiB slowly, in many reads, and gets every byte', async () => {
    const read = await slowConsumerUpload(upload);
    expect(read.form.fields).toEqual({ before: ['a field first'], after: ['and one after'] });
    expect(read.form.files.map((f) => [f.field, f.filename, f.size])).toEqual([['big', 'big.bin', size]]);
    expect(read.received).toBe(size);
    expect(read.sha256).toBe(sha256(upload));
    expect(read.reads).toBeGreaterThan(16);
  }, 60_000);

  it('backpressure: the server holds a bounded queue for a slow consumer', async () => {
    const read = await slowConsumerUpload(upload);
    expect(read.received).toBe(size);
    // The body's high-water mark is 64 KiB; a socket read may land on top of it.
    expect(read.largestQueue).toBeGreaterThan(0);
    expect(read.largestQueue).toBeLessThan(512 * 1024);
  }, 60_000);

  it('a consumer that stops early leaves the rest dropped, and the form goes on', async () => {
    let firstBytes = 0;
    const { url } = await formServer({
      hash: true,
      files: async (file) => {
        for await (const piece of file.content) {
          firstBytes += piece.length;
          break;
        }
      },
    });
    const data = new FormData();
    data.append('f', new Blob([pattern(2 * 1024 * 1024)]), 'big.bin');
    data.append('after', 'still read');
    const form = await json(await fetch(`${url}/upload`, { method: 'POST', body: data }));
    expect(form.fields).toEqual({ after: ['still read'] });
    expect(firstBytes).toBeGreaterThan(0);
    expect(firstBytes).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('request.form(): refusals', () => {
  it('a urlencoded body is parsed as it arrives, under the field limits: too many fields → 413', async () => {
    const { url } = await formServer({ limits: { maxFields: 3 } });
    const ok = await fetch(`${url}/form`, { method: 'POST', body: new URLSearchParams('a=1&b=2&c=3') });
    expect((await json(ok)).fields).toEqual({ a: ['1'], b: ['2'], c: ['3'] });
    const over = await fetch(`${url}/form`, { method: 'POST', body: new URLSearchParams('a=1&b=2&c=3&d=4') });
    expect(over.status).toBe(413);
    expect(await over.text()).toMatch(/TOO_MANY_FIELDS/);
  });

  it('a urlencoded body over maxBodyBytes → 413', async () => {
    const { url } = await formServer({ maxBodyBytes: 100 });
    const over = await fetch(`${url}/form`, { method: 'POST', body: new URLSearchParams(`a=${'x'.repeat(200)}`) });
    expect(over.status).toBe(413);
  });

  it('415 for a text/plain POST, and for a POST without a Content-Type', async () => {
    const { url } = await formServer();
    const plain = await fetch(`${url}/form`, { method: 'POST', body: 'a=1', headers: { 'Content-Type': 'text/plain' } });
    expect(plain.status).toBe(415);
    expect(await plain.text()).toMatch(/UNSUPPORTED_MEDIA_TYPE/);
    const none = await fetch(`${url}/form`, { method: 'POST', body: new Uint8Array([0x61]) });
    expect(none.status).toBe(415);
  });

  it('413 when a multipart file is larger than limits.maxFileBytes', async () => {
    let consumerFailed = false;
    const { url } = await formServer({
      limits: { maxFileBytes: 100_000 },
      files: async (file) => {
        try {
          for await (const piece of file.content) void piece;
        } catch {
          consumerFailed = true;
          throw new Error('the consumer saw the failure');
        }
      },
    });
    const data = new FormData();
    data.append('ok', new Blob([pattern(100_000)]), 'ok.bin');
    data.append('big', new Blob([pattern(100_001)]), 'big.bin');
    const response = await fetch(`${url}/upload`, { method: 'POST', body: data });
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/FILE_TOO_LARGE/);
    expect(consumerFailed).toBe(true);
  });

  it('413 when a multipart body is larger than maxBodyBytes (form option and server default)', async () => {
    const data = (): FormData => {
      const form = new FormData();
      form.append('f', new Blob([pattern(300_000)]), 'f.bin');
      return form;
    };
    const perCall = await formServer({ files: 'discard', maxBodyBytes: 200_000 });
    const first = await fetch(`${perCall.url}/upload`, { method: 'POST', body: data() });
    expect(first.status).toBe(413);
    expect(await first.text()).toMatch(/BODY_TOO_LARGE/);
    const serverWide = await formServer({ files: 'discard' }, undefined, 200_000);
    expect((await fetch(`${serverWide.url}/upload`, { method: 'POST', body: data() })).status).toBe(413);
  });

  /** A form whose body ends inside a file: every byte the Content-Length promised, but no close delimiter. */
  function truncated(): { body: Buffer; cut: number } {
    const whole = multipart('cut-here', [
      [disposition('name'), 'value'],
      [disposition('file', 'f.bin'), pattern(50_000, 5)],
    ]);
    const cut = whole.length - 3_000;
    return { body: whole.subarray(0, cut), cut };
  }

  it('400 for a truncated multipart body, and the file is never handed over shorter', async () => {
    const outcomes: string[] = [];
    let fileBytes = 0;
    const { port } = await formServer({
      files: async (file) => {
        try {
          for await (const piece of file.content) fileBytes += piece.length;
          outcomes.push(`complete at ${fileBytes}`);
        } catch (error) {
          outcomes.push(`failed: ${(error as { code?: string }).code}`);
          throw error;
        }
      },
    });
    const { body } = truncated();
    const client = await rawPost(port, 'multipart/form-data; boundary=cut-here', body, 4);
    const [response] = await client.responses(1);
    expect(response!.status).toBe(400);
    expect(response!.body.toString()).toMatch(/UNEXPECTED_END/);
    expect(outcomes).toEqual(['failed: UNEXPECTED_END']);
    expect(fileBytes).toBeLessThan(50_000);
  });

  it("400 for a truncated body with files: 'memory' and 'temp': no Form, no file left behind", async () => {
    for (const files of ['memory', 'temp'] as const) {
      const { port } = await formServer({ files }, () => {
        throw new Error('the handler must not get a form');
      });
      const client = await rawPost(port, 'multipart/form-data; boundary=cut-here', truncated().body, 3);
      const [response] = await client.responses(1);
      expect(response!.status).toBe(400);
    }
  });

  it('a client that disconnects mid-upload: the consumer fails, never completes', async () => {
    const outcomes: string[] = [];
    const { port } = await formServer({
      files: async (file) => {
        try {
          for await (const piece of file.content) void piece;
          outcomes.push('complete');
        } catch {
          outcomes.push('failed');
        }
      },
    });
    const whole = multipart('gone', [[disposition('file', 'f.bin'), pattern(200_000)]]);
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=gone\r\nContent-Length: ${whole.length}\r\n\r\n`);
    socket.write(whole.subarray(0, 100_000));
    await sleep(50);
    socket.destroy();
    await waitFor(() => outcomes.length > 0, 5_000, 'the consumer to finish');
    expect(outcomes).toEqual(['failed']);
  });

  it('400 for a multipart body that breaks the framing, 413 for too many fields', async () => {
    const { url } = await formServer({ limits: { maxFields: 2 } });
    const broken = Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--bX\r\n', 'latin1');
    const bad = await fetch(`${url}/upload`, { method: 'POST', body: broken, headers: { 'Content-Type': 'multipart/form-data; boundary=b' } });
    expect(bad.status).toBe(400);
    const many = new FormData();
    for (const name of ['a', 'b', 'c']) many.append(name, name);
    expect((await fetch(`${url}/upload`, { method: 'POST', body: many })).status).toBe(413);
  });
});
