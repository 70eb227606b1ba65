/**
 * The connection's batching writer (src/http/output.ts), against a socket that records what it
 * is handed: a batch leaves as one write, and a message written again leaves as bytes, so its
 * text is not encoded on every write.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OutputBatch } from '../../src/http/output.js';

/** The fields OutputBatch reads of a net.Socket, and a write() that records each piece. */
function recordingSocket(): { socket: Socket; writes: (string | Uint8Array)[] } {
  const writes: (string | Uint8Array)[] = [];
  const fake = {
    destroyed: false,
    writableLength: 0,
    writableHighWaterMark: 16384,
    write(data: string | Uint8Array): boolean {
      writes.push(data);
      return true;
    },
    cork(): void {},
    uncork(): void {},
  };
  return { socket: fake as unknown as Socket, writes };
}

const text = (piece: string | Uint8Array): string => (typeof piece === 'string' ? piece : Buffer.from(piece).toString('utf8'));

describe('OutputBatch', () => {
  it('a batch of messages leaves as one string write', () => {
    const { socket, writes } = recordingSocket();
    const batch = new OutputBatch(socket);
    batch.begin();
    batch.writeMessage('H1 one\r\n\r\n', 'a');
    batch.writeMessage('H1 two\r\n\r\n', 'b');
    batch.end();
    expect(writes).toEqual(['H1 one\r\n\r\na' + 'H1 two\r\n\r\nb']);
  });

  it('the same message a second time, alone in its batch, is handed over as bytes', () => {
    const { socket, writes } = recordingSocket();
    const batch = new OutputBatch(socket);
    for (let i = 0; i < 3; i++) {
      batch.begin();
      batch.writeMessage('H2 same\r\n\r\n', 'héllo ✓');
      batch.end();
    }
    expect(writes.map(text)).toEqual(Array(3).fill('H2 same\r\n\r\nhéllo ✓'));
    expect(typeof writes[0]).toBe('string');
    expect(writes[1]).toBeInstanceOf(Buffer);
    // The very same bytes each time: encoded once.
    expect(writes[2]).toBe(writes[1]);
  });

  it('what is written after held bytes joins them as text, in order, in one write', () => {
    const { socket, writes } = recordingSocket();
    const batch = new OutputBatch(socket);
    batch.writeMessage('H3 x\r\n\r\n', 'x');
    batch.begin();
    batch.writeMessage('H3 x\r\n\r\n', 'x');
    batch.writeMessage('H3 y\r\n\r\n', 'y');
    batch.write('tail', 'utf8');
    batch.end();
    expect(writes).toEqual(['H3 x\r\n\r\nx', 'H3 x\r\n\r\nx' + 'H3 y\r\n\r\ny' + 'tail']);
  });

  it('a Buffer written after held bytes follows them', () => {
    const { socket, writes } = recordingSocket();
    const batch = new OutputBatch(socket);
    batch.writeMessage('H4\r\n\r\n', 'z');
    batch.begin();
    batch.writeMessage('H4\r\n\r\n', 'z');
    batch.write(Buffer.from('raw'), 'utf8');
    batch.end();
    expect(writes.slice(1).map(text)).toEqual(['H4\r\n\r\nz', 'raw']);
  });

  it('messages larger than the cache limit are always written as text', () => {
    const { socket, writes } = recordingSocket();
    const batch = new OutputBatch(socket);
    const body = 'b'.repeat(4096);
    for (let i = 0; i < 2; i++) batch.writeMessage('H5\r\n\r\n', body);
    expect(writes.every((w) => typeof w === 'string')).toBe(true);
  });
});
