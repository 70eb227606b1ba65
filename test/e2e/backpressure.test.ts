/**
 * Backpressure, end to end: a client that pipelines without reading stops the parser (bounded
 * handler calls, bounded memory), a slow body reader stops the socket (a bounded body queue),
 * and a streaming handler sees write() return false until the client reads.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestBody } from '../../src/http/body.js';
import { cleanup, get, parseResponses, RawClient, sleep, startServer, within } from './support.js';

afterEach(cleanup);

/**
 * Counts responses in a stream too large to keep (hundreds of MiB), checking each one's status
 * and that its body starts with its index: `Content-Length` framed, no chunked.
 */
class ResponseCounter {
  count = 0;
  readonly problems: string[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private prefix = '';
  private readonly prefixLength: number;

  constructor(prefixLength: number) {
    this.prefixLength = prefixLength;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - pos);
        if (this.prefix.length < this.prefixLength) {
          this.prefix += chunk.toString('latin1', pos, pos + Math.min(n, this.prefixLength - this.prefix.length));
        }
        this.remaining -= n;
        pos += n;
        if (this.remaining === 0) this.completeBody();
        continue;
      }
      // In a head: heads are small, so gathering one in a carry buffer costs little.
      this.carry = Buffer.concat([this.carry, chunk.subarray(pos)]);
      pos = chunk.length;
      const end = this.carry.indexOf('\r\n\r\n');
      if (end < 0) continue;
      const head = this.carry.toString('latin1', 0, end);
      const rest = this.carry.subarray(end + 4);
      this.carry = Buffer.alloc(0);
      if (!head.startsWith('HTTP/1.1 200 OK\r\n')) this.problems.push(`response ${this.count}: ${head.slice(0, 40)}`);
      const length = /\r\ncontent-length: (\d+)/i.exec(head);
      this.remaining = length === null ? 0 : Number(length[1]);
      this.prefix = '';
      if (this.remaining === 0) this.completeBody();
      if (rest.length > 0) this.push(Buffer.from(rest));
    }
  }

  private completeBody(): void {
    const expected = String(this.count).padStart(this.prefixLength, '0');
    if (this.prefix !== expected && this.problems.length < 10) this.problems.push(`response ${this.count} starts with ${this.prefix}`);
    this.count++;
  }
}

describe('a client that pipelines and does not read', () => {
  it('stops the parser: bounded handler calls and memory; then every response arrives, in order', async () => {
    const requests = 10_000;
    const bodySize = 64 * 1024;
    const prefixLength = 8;
    // One shared body; each response differs only in its first bytes, its index.
    const shared = Buffer.alloc(bodySize - prefixLength, 0x61);
    let calls = 0;
    const { port } = await startServer({
      // Shorter than the pause below: a client that does not read is not an idle connection.
      keepAliveTimeoutMs: 300,
      handler: (_req, res) => {
        res.setHeader('Content-Length', bodySize);
        res.write(String(calls).padStart(prefixLength, '0'));
        calls++;
        res.end(shared);
      },
    });
    const client = await RawClient.connect(port);
    const counter = new ResponseCounter(prefixLength);
    client.socket.removeAllListeners('data');
    client.socket.pause();

    global.gc?.();
    const before = process.memoryUsage();
    client.write(get('/r').repeat(requests));
    await sleep(1_000);
    const after = process.memoryUsage();
    const callsWhilePaused = calls;

    // What was answered is what the socket buffers (kernel and ours) could take, not 10 000.
    expect(callsWhilePaused).toBeGreaterThan(0);
    expect(callsWhilePaused).toBeLessThan(250);
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);

    let ended = false;
    client.socket.on('data', (chunk: Buffer) => counter.push(chunk));
    client.socket.on('end', () => (ended = true));
    client.socket.resume();
    await within(
      new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (counter.count >= requests || ended) {
            clearInterval(check);
            if (counter.count >= requests) resolve();
            else reject(new Error(`the server closed after ${counter.count} responses`));
          }
        }, 10);
      }),
      20_000,
      'every response',
    );
    expect(counter.problems).toEqual([]);
    expect(counter.count).toBe(requests);
    expect(calls).toBe(requests);
    expect(ended).toBe(false);
  });
});

/** Pending `next()` results that are already queued resolve within a few microtask turns. */
function microtaskTurns(n: number): Promise<'empty'> {
  let p: Promise<'empty'> = Promise.resolve('empty');
  for (let i = 0; i < n; i++) p = p.then((v) => v);
  return p;
}

describe('a handler that reads the body slowly', () => {
  // Regression: a pause on a chunk's last byte left no unparsed tail to hold, so the socket kept
  // being read and the whole upload piled up in the body's queue.
  it.each(['content-length', 'chunked'] as const)('stops the socket: the body queue stays small while an 8 MiB upload completes (%s)', async (framing) => {
    const size = 8 * 1024 * 1024;
    let largestQueue = 0;
    let received = 0;
    const hash = createHash('sha256');
    const { port } = await startServer({
      maxBodyBytes: size,
      handler: async (req, res) => {
        const body: RequestBody = req.body;
        const chunks = body[Symbol.asyncIterator]();
        let pending = chunks.next();
        for (;;) {
          // Slow: no reading for a while, so whatever the server buffers piles up in the queue.
          await sleep(5);
          // Then take everything already queued: what is there resolves in microtask turns,
          // before any I/O can add to it. Its size is what the server held for this consumer.
          let queued = 0;
          for (;;) {
            const next = await Promise.race([pending, microtaskTurns(50)]);
            if (next === 'empty') break;
            if (next.done === true) {
              largestQueue = Math.max(largestQueue, queued);
              res.end(`${received} ${hash.digest('hex')}`);
              return;
            }
            queued += next.value.length;
            received += next.value.length;
            hash.update(next.value);
            pending = chunks.next();
          }
          largestQueue = Math.max(largestQueue, queued);
        }
      },
    });
    const client = await RawClient.connect(port);
    const upload = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) upload.writeUInt32LE(i, i);
    let wire: Buffer;
    if (framing === 'content-length') {
      client.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: ${size}\r\n\r\n`);
      wire = upload;
    } else {
      client.write('POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n');
      const parts: Buffer[] = [];
      for (let i = 0; i < size; i += 100_000) {
        const part = upload.subarray(i, i + 100_000);
        parts.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      wire = Buffer.concat(parts);
    }
    const written = new Promise<void>((resolve, reject) => client.socket.write(wire, (err) => (err ? reject(err) : resolve())));
    await within(written, 15_000, 'the upload to be written');
    const [response] = await client.responses(1, 15_000);
    expect(response!.body.toString()).toBe(`${size} ${createHash('sha256').update(upload).digest('hex')}`);
    // The high-water mark is 64 KiB; one socket read may land on top of it.
    expect(largestQueue).toBeGreaterThan(0);
    expect(largestQueue).toBeLessThan(512 * 1024);
  });
});

describe('a streaming handler', () => {
  it('sees write() return false while the client does not read, and drained() resolve once it does', async () => {
    const total = 4 * 1024 * 1024;
    const piece = Buffer.alloc(16 * 1024);
    let falses = 0;
    let writtenAtFirstFalse = -1;
    const { port } = await startServer({
      handler: async (_req, res) => {
        let written = 0;
        while (written < total) {
          piece.fill(written % 251);
          const more = res.write(Buffer.from(piece));
          written += piece.length;
          if (!more) {
            falses++;
            if (writtenAtFirstFalse < 0) writtenAtFirstFalse = written;
            await res.drained();
          }
        }
        res.end();
      },
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.write(get('/big'));
    await sleep(300);
    client.socket.resume();
    const [response] = await client.responses(1, 10_000);
    expect(response!.framing).toBe('chunked');
    expect(response!.body.length).toBe(total);
    for (let offset = 0; offset < total; offset += piece.length) {
      expect(response!.body[offset]).toBe(offset % 251);
    }
    expect(falses).toBeGreaterThan(0);
    // The first false came after one piece over the socket's high-water mark, not megabytes later.
    expect(writtenAtFirstFalse).toBeLessThanOrEqual(64 * 1024);
    expect(parseResponses(client.data()).rest.length).toBe(0);
  });
});
