import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ByteWriter } from '../../src/net/index.js';
import {
  cleanup,
  clientClosed,
  connect,
  receiveAll,
  receiveBytes,
  settlesWithin,
  startAcceptingServer,
  within,
} from './helpers.js';

afterEach(cleanup);

const BLOCK = Buffer.alloc(64 * 1024, 'w');
/** Loopback socket buffers hold a few MiB at most; 128 MiB without backpressure would be a bug. */
const MAX_BLOCKS = 2048;

/** Writes blocks until `write` says stop; returns the bytes written. */
function fillUntilBackpressure(writer: ByteWriter): number {
  for (let i = 1; i <= MAX_BLOCKS; i++) {
    if (!writer.write(BLOCK)) return i * BLOCK.length;
  }
  throw new Error(`write() never returned false in ${MAX_BLOCKS} blocks`);
}

async function connected(): Promise<{ client: net.Socket; writer: ByteWriter }> {
  const harness = await startAcceptingServer();
  const client = await connect(harness.port);
  const conn = await harness.accept();
  return { client, writer: conn.writer };
}

describe('ByteWriter', () => {
  it('returns false above the high-water mark; drain() resolves once the client reads', async () => {
    const { client, writer } = await connected();
    client.pause(); // the client reads nothing for now
    const written = fillUntilBackpressure(writer);
    expect(writer.needsDrain).toBe(true);

    const drained = writer.drain();
    expect(await settlesWithin(drained, 100)).toBe(false);

    const received = receiveAll(client, 10_000);
    client.resume();
    await within(drained, 5_000, 'drain');
    expect(writer.needsDrain).toBe(false);
    await within(writer.end(), 5_000, 'end');
    expect((await received).data.length).toBe(written);
  });

  it('drain() resolves at once when nothing is buffered, and when the socket dies', async () => {
    const { client, writer } = await connected();
    await within(writer.drain(), 100, 'drain with nothing buffered');

    client.pause();
    fillUntilBackpressure(writer);
    const drained = writer.drain();
    client.destroy();
    await within(drained, 2_000, 'drain after the peer went away');
  });

  it('batches corked writes into one segment, in order', async () => {
    const { client, writer } = await connected();
    const first = new Promise<Buffer>((resolve) => client.once('data', resolve));
    const ok = writer.batch((w) => {
      w.write('HTTP/1.0 200 OK\r\n', 'latin1');
      w.write(Buffer.from('X: y\r\n\r\n'));
      return w.writeAll(['he', Buffer.from('llo')]);
    });
    expect(ok).toBe(true);
    expect((await within(first, 2_000, 'first chunk')).toString()).toBe('HTTP/1.0 200 OK\r\nX: y\r\n\r\nhello');
  });

  it('end(data) flushes, then the client sees EOF; later writes are dropped', async () => {
    const { client, writer } = await connected();
    const received = receiveAll(client);
    await within(writer.end('last words'), 2_000, 'end');
    expect(writer.writable).toBe(false);
    expect(writer.write('too late')).toBe(false);
    await within(writer.end('also too late'), 2_000, 'second end');
    const result = await received;
    expect(result.data.toString()).toBe('last words');
    expect(result.error).toBeUndefined();
  });

  it('writes strings as UTF-8 by default', async () => {
    const { client, writer } = await connected();
    writer.write('héllo ✓');
    expect((await receiveBytes(client, Buffer.byteLength('héllo ✓'))).toString('utf8')).toBe('héllo ✓');
    client.end();
    await clientClosed(client);
  });
});
