import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type * as net from 'node:net';
import type { Connection } from '../../src/net/index.js';
import { ByteReader, NET_ERROR_CODES, NetError } from '../../src/net/index.js';
import {
  cleanup,
  connect,
  feedPieces,
  oneBytePieces,
  serverReceived,
  settlesWithin,
  sleep,
  splitAt,
  startAcceptingServer,
  waitFor,
  within,
} from './helpers.js';

afterEach(cleanup);

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** One read operation, and its outcome written so that outcomes compare with `toEqual`. */
type Op =
  | { kind: 'line'; max: number }
  | { kind: 'exactly'; n: number }
  | { kind: 'until'; delimiter: string; max: number };

type Outcome = string; // 'ok:<text>' | 'null' | 'error:<code>'

async function apply(reader: ByteReader, op: Op): Promise<Outcome> {
  try {
    let result: Buffer | null;
    if (op.kind === 'line') result = await reader.readLine(op.max);
    else if (op.kind === 'exactly') result = await reader.readExactly(op.n);
    else result = await reader.readUntil(Buffer.from(op.delimiter, 'latin1'), op.max);
    return result === null ? 'null' : `ok:${result.toString('latin1')}`;
  } catch (err) {
    return `error:${err instanceof NetError ? err.code : String(err)}`;
  }
}

/** The reader's contract on a complete input, computed without any socket. */
function model(input: string, ops: readonly Op[]): Outcome[] {
  let pos = 0;
  return ops.map((op) => {
    const remaining = input.length - pos;
    if (op.kind === 'exactly') {
      if (remaining < op.n) return `error:${NET_ERROR_CODES.UNEXPECTED_EOF}`;
      pos += op.n;
      return `ok:${input.slice(pos - op.n, pos)}`;
    }
    const delimiter = op.kind === 'line' ? '\n' : op.delimiter;
    const at = input.indexOf(delimiter, pos);
    if (at !== -1 && at + delimiter.length - pos <= op.max) {
      const out = input.slice(pos, at + delimiter.length);
      pos = at + delimiter.length;
      return `ok:${out}`;
    }
    if (remaining >= op.max) return `error:${NET_ERROR_CODES.LIMIT_EXCEEDED}`;
    if (remaining === 0) return 'null';
    if (op.kind === 'until') return `error:${NET_ERROR_CODES.UNEXPECTED_EOF}`;
    pos = input.length;
    return `ok:${input.slice(pos - remaining)}`;
  });
}

type Harness = Awaited<ReturnType<typeof startAcceptingServer>>;

/** Feeds `pieces` to a fresh connection (each landing as its own chunk), ends it, and runs `ops`. */
async function runOps(harness: Harness, pieces: readonly Uint8Array[], ops: readonly Op[]): Promise<Outcome[]> {
  const client = await connect(harness.port);
  const conn = await harness.accept();
  const received = serverReceived(conn);
  const reader = conn.reader; // same tick as the counter, so both see every chunk
  const outcomes = (async () => {
    const results: Outcome[] = [];
    for (const op of ops) results.push(await apply(reader, op));
    return results;
  })();
  await feedPieces(client, received, pieces);
  client.end();
  const results = await within(outcomes, 10_000, 'read operations');
  conn.destroy();
  client.destroy();
  return results;
}

/** Starts a connection and hands the test its reader, with a way to wait for bytes to land. */
async function open(harness: Harness): Promise<{
  client: net.Socket;
  conn: Connection;
  reader: ByteReader;
  received: ReturnType<typeof serverReceived>;
}> {
  const client = await connect(harness.port);
  const conn = await harness.accept();
  const received = serverReceived(conn);
  return { client, conn, reader: conn.reader, received };
}

const HEAD = 'GET /a HTTP/1.1\r\nHost: example\r\nX-Long: ' + 'v'.repeat(200) + '\r\n\r\nBODY!rest\nno newline';
const HEAD_OPS: Op[] = [
  { kind: 'line', max: 1024 },
  { kind: 'until', delimiter: '\r\n\r\n', max: 1024 },
  { kind: 'exactly', n: 5 },
  { kind: 'line', max: 1024 },
  { kind: 'line', max: 1024 },
  { kind: 'line', max: 1024 },
];

describe('ByteReader over a real socket', () => {
  it('reads a head the same whole and one byte per chunk', async () => {
    const harness = await startAcceptingServer();
    const input = Buffer.from(HEAD, 'latin1');
    const expected = model(HEAD, HEAD_OPS);
    expect(expected).toEqual([
      'ok:GET /a HTTP/1.1\r\n',
      `ok:Host: example\r\nX-Long: ${'v'.repeat(200)}\r\n\r\n`,
      'ok:BODY!',
      'ok:rest\n',
      'ok:no newline',
      'null',
    ]);
    expect(await runOps(harness, [input], HEAD_OPS)).toEqual(expected);
    expect(await runOps(harness, oneBytePieces(input), HEAD_OPS)).toEqual(expected);
  });

  it('finds delimiters that overlap themselves across chunk boundaries', async () => {
    const harness = await startAcceptingServer();
    // "aab" in "aaab": a naive restart after the mismatch would miss it.
    const ops: Op[] = [
      { kind: 'until', delimiter: 'aab', max: 100 },
      { kind: 'until', delimiter: '\r\n\r\n', max: 100 },
      { kind: 'until', delimiter: 'abab', max: 100 },
    ];
    const input = 'xaaab\r\n\r\r\n\r\nabaababab!';
    const expected = ['ok:xaaab', 'ok:\r\n\r\r\n\r\n', 'ok:abaabab'];
    expect(model(input, ops)).toEqual(expected);
    expect(await runOps(harness, oneBytePieces(Buffer.from(input, 'latin1')), ops)).toEqual(expected);
  });

  it('gives the same results under any split of the input (property)', async () => {
    const harness = await startAcceptingServer();
    let runs = 0;
    const byte = fc.constantFrom('a', 'b', '\r', '\n');
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('line' as const), max: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('exactly' as const), n: fc.integer({ min: 0, max: 40 }) }),
      fc.record({
        kind: fc.constant('until' as const),
        delimiter: fc.constantFrom('\n', '\r\n\r\n', 'aab', 'abab', 'b\r'),
        max: fc.integer({ min: 1, max: 40 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        // Up to 200 bytes in up to 200 pieces (size 'max': fast-check's default would stay near 10),
        // enough chunks to exercise the chunk list's compaction.
        fc.array(byte, { maxLength: 200, size: 'max' }).map((chars) => chars.join('')),
        fc.array(fc.integer({ min: 1, max: 199 }), { maxLength: 200, size: 'max' }),
        fc.array(opArb, { minLength: 1, maxLength: 24, size: 'max' }),
        async (input, cuts, ops) => {
          const pieces = splitAt(Buffer.from(input, 'latin1'), cuts);
          expect(await runOps(harness, pieces, ops)).toEqual(model(input, ops));
          runs++;
        },
      ),
      { numRuns: 150 },
    );
    expect(runs).toBe(150);
  });

  it('returns views of the socket chunk when the result lies within one chunk', async () => {
    const harness = await startAcceptingServer();
    const { client, reader, received } = await open(harness);
    const input = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nbody+more';
    client.write(input);
    await received.atLeast(input.length);
    expect(received.chunks).toHaveLength(1); // precondition: a small write lands as one chunk
    const chunk = received.chunks[0]!;

    const line = await within(reader.readLine(), 1_000, 'readLine');
    const rest = await within(reader.readUntil(CRLFCRLF, 1024), 1_000, 'readUntil');
    const body = await within(reader.readExactly(4), 1_000, 'readExactly');
    const tail = await within(reader.read(), 1_000, 'read');
    expect([line, rest, body, tail].map((b) => b?.toString())).toEqual([
      'GET / HTTP/1.1\r\n',
      'Host: a\r\n\r\n',
      'body',
      '+more',
    ]);
    for (const view of [line, rest, body, tail]) {
      expect(view?.buffer).toBe(chunk.buffer);
    }
    expect(line?.byteOffset).toBe(chunk.byteOffset);
    expect(tail?.byteOffset).toBe(chunk.byteOffset + input.length - 5);
  });

  it('copies once when the result spans chunks, and read() returns chunk by chunk', async () => {
    const harness = await startAcceptingServer();
    const { client, reader, received } = await open(harness);
    await feedPieces(client, received, [Buffer.from('hel'), Buffer.from('lo\nab'), Buffer.from('cd')]);
    expect(received.chunks.map(String)).toEqual(['hel', 'lo\nab', 'cd']);

    const line = await within(reader.readLine(), 1_000, 'readLine');
    expect(line?.toString()).toBe('hello\n');
    received.chunks[0]![0] = 0x58; // the copy must not see later changes to the chunk
    expect(line?.toString()).toBe('hello\n');
    expect(reader.buffered).toBe(4);

    const first = await within(reader.read(), 1_000, 'read');
    const second = await within(reader.read(), 1_000, 'read');
    expect([first?.toString(), second?.toString()]).toEqual(['ab', 'cd']);
    expect(first?.buffer).toBe(received.chunks[1]!.buffer);
    expect(second?.buffer).toBe(received.chunks[2]!.buffer);
  });

  it('rejects with LIMIT_EXCEEDED as soon as maxBytes hold no delimiter, consuming nothing', async () => {
    const harness = await startAcceptingServer();
    const { client, reader, received } = await open(harness);
    client.write('a'.repeat(100)); // and the client stays open: the error must not wait for EOF
    const error = await within(reader.readUntil(CRLFCRLF, 16).catch((err: unknown) => err), 2_000, 'readUntil');
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe(NET_ERROR_CODES.LIMIT_EXCEEDED);
    await expect(reader.readLine(10)).rejects.toMatchObject({ code: NET_ERROR_CODES.LIMIT_EXCEEDED });
    await received.atLeast(100);
    expect(reader.buffered).toBe(100);
    expect((await within(reader.readExactly(100), 1_000, 'readExactly')).toString()).toBe('a'.repeat(100));
  });

  it('accepts a delimiter that ends exactly at maxBytes, and not one byte later', async () => {
    const harness = await startAcceptingServer();
    const { client, reader } = await open(harness);
    client.write('abc\r\n\r\nabcd\r\n\r\n');
    expect((await within(reader.readUntil(CRLFCRLF, 7), 1_000, 'readUntil'))?.toString()).toBe('abc\r\n\r\n');
    await expect(within(reader.readUntil(CRLFCRLF, 7), 1_000, 'readUntil')).rejects.toMatchObject({
      code: NET_ERROR_CODES.LIMIT_EXCEEDED,
    });
    expect((await within(reader.readUntil(CRLFCRLF, 8), 1_000, 'readUntil'))?.toString()).toBe('abcd\r\n\r\n');
  });

  it('settles every read at EOF instead of hanging', async () => {
    const harness = await startAcceptingServer();
    const { client, reader } = await open(harness);
    client.end('abc\npartial');
    expect((await within(reader.readLine(), 1_000, 'readLine'))?.toString()).toBe('abc\n');
    await expect(within(reader.readUntil(CRLFCRLF, 100), 1_000, 'readUntil')).rejects.toMatchObject({
      code: NET_ERROR_CODES.UNEXPECTED_EOF,
    });
    await expect(within(reader.readExactly(8), 1_000, 'readExactly')).rejects.toMatchObject({
      code: NET_ERROR_CODES.UNEXPECTED_EOF,
    });
    expect((await within(reader.readLine(), 1_000, 'readLine'))?.toString()).toBe('partial');
    expect(reader.ended).toBe(true);
    expect(await within(reader.readLine(), 1_000, 'readLine')).toBeNull();
    expect(await within(reader.readUntil(CRLFCRLF, 100), 1_000, 'readUntil')).toBeNull();
    expect(await within(reader.read(), 1_000, 'read')).toBeNull();
    expect((await within(reader.readExactly(0), 1_000, 'readExactly(0)')).length).toBe(0);
    await expect(within(reader.readExactly(1), 1_000, 'readExactly')).rejects.toMatchObject({
      code: NET_ERROR_CODES.UNEXPECTED_EOF,
    });
  });

  it('settles a pending read when the peer resets, the server destroys or closes', async () => {
    const harness = await startAcceptingServer();

    const reset = await open(harness);
    const pendingReset = reset.reader.readLine().then(
      (line) => `resolved:${String(line)}`,
      (err: NodeJS.ErrnoException) => `rejected:${err.code ?? ''}`,
    );
    reset.client.resetAndDestroy();
    expect(['resolved:null', 'rejected:ECONNRESET']).toContain(await within(pendingReset, 2_000, 'read after reset'));

    const destroyed = await open(harness);
    const pendingDestroy = destroyed.reader.readExactly(10).catch((err: NetError) => err.code);
    destroyed.conn.destroy();
    expect(await within(pendingDestroy, 2_000, 'read after destroy')).toBe(NET_ERROR_CODES.UNEXPECTED_EOF);

    const closed = await open(harness);
    const pendingClose = closed.reader.read();
    closed.conn.close();
    expect(await within(pendingClose, 2_000, 'read after close')).toBeNull();
  });

  it('refuses a second read while one is pending', async () => {
    const harness = await startAcceptingServer();
    const { client, reader } = await open(harness);
    const first = reader.readLine();
    await expect(reader.read()).rejects.toMatchObject({ code: NET_ERROR_CODES.READ_IN_PROGRESS });
    client.write('line\n');
    expect((await within(first, 1_000, 'readLine'))?.toString()).toBe('line\n');
  });

  it('pauses the socket above the high-water mark; a read that needs more resumes it', async () => {
    const harness = await startAcceptingServer();
    const client = await connect(harness.port);
    const conn = await harness.accept();
    const reader = new ByteReader(conn.socket, { highWaterMark: 1024 });
    const size = 1024 * 1024;
    const payload = Buffer.alloc(size, 'z');
    client.write(payload);
    await waitFor(() => conn.socket.isPaused(), 2_000, 'the socket to be paused');
    await sleep(50);
    // At most one chunk arrives after the mark is crossed.
    expect(reader.buffered).toBeGreaterThanOrEqual(1024);
    expect(reader.buffered).toBeLessThan(1024 + 256 * 1024);
    expect(reader.buffered).toBeLessThan(size);
    const all = await within(reader.readExactly(size), 5_000, 'readExactly past the high-water mark');
    expect(all.equals(payload)).toBe(true);
    client.end();
    expect(await within(reader.read(), 2_000, 'read at EOF')).toBeNull();
  });

  it('waits for bytes not sent yet and resolves when they arrive', async () => {
    const harness = await startAcceptingServer();
    const { client, reader } = await open(harness);
    const pending = reader.readExactly(3);
    expect(await settlesWithin(pending, 30)).toBe(false);
    client.write('xyz');
    expect((await within(pending, 1_000, 'readExactly'))?.toString()).toBe('xyz');
  });
});
