import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TCP_ECHO_MAX_HEAD_BYTES, tcpEcho } from '../../src/apps/tcp-echo.js';
import type { Connection } from '../../src/net/index.js';
import { cleanup, connect, receiveAll, sleep, startServer } from './helpers.js';

afterEach(cleanup);

interface ParsedResponse {
  statusLine: string;
  headers: Map<string, string>;
  body: Buffer;
}

/** A deliberately plain parser for the one response shape tcp-echo sends. */
function parseResponse(raw: Buffer): ParsedResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no end of head in ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine = '', ...fields] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(':');
    headers.set(field.slice(0, colon).toLowerCase(), field.slice(colon + 1).trim());
  }
  return { statusLine, headers, body: raw.subarray(end + 4) };
}

async function startEcho(
  describeConn?: (conn: Connection) => string[],
): Promise<{ port: number; lines: string[] }> {
  const lines: string[] = [];
  const handler = tcpEcho({ out: (line) => lines.push(line), ...(describeConn ? { describe: describeConn } : {}) });
  const { port } = await startServer({ handler });
  return { port, lines };
}

async function exchange(port: number, send: (client: net.Socket) => Promise<void>): Promise<{ clientPort: number; data: Buffer }> {
  const client = await connect(port);
  const clientPort = client.localPort ?? 0;
  const result = receiveAll(client);
  await send(client);
  return { clientPort, data: (await result).data };
}

describe('tcp-echo', () => {
  it('prints the report and answers a minimal HTTP/1.0 page, then closes', async () => {
    const { port, lines } = await startEcho();
    const { clientPort, data } = await exchange(port, async (client) => {
      client.write('GET /hi?x=1 HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: test\r\n\r\n');
    });
    expect(lines).toEqual([
      `Client address: ('127.0.0.1', ${clientPort})`,
      `Server address: ('127.0.0.1', ${port})`,
      'BEGIN REQUEST',
      'GET /hi?x=1 HTTP/1.1',
      'Host: localhost:8000',
      'User-Agent: test',
      'END REQUEST',
    ]);
    const response = parseResponse(data);
    expect(response.statusLine).toBe('HTTP/1.0 200 OK');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBe(response.body.length);
    expect(response.body.toString('utf8')).toContain('Hello, World!');
    expect(response.body.toString('utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('accepts LF LF and a head arriving one byte at a time', async () => {
    const { port, lines } = await startEcho();
    const head = 'POST /x HTTP/1.0\nA: b\n\n';
    const { clientPort, data } = await exchange(port, async (client) => {
      client.setNoDelay(true);
      for (const char of head) {
        client.write(char);
        await sleep(1);
      }
    });
    expect(lines).toEqual([
      `Client address: ('127.0.0.1', ${clientPort})`,
      `Server address: ('127.0.0.1', ${port})`,
      'BEGIN REQUEST',
      'POST /x HTTP/1.0',
      'A: b',
      'END REQUEST',
    ]);
    expect(parseResponse(data).statusLine).toBe('HTTP/1.0 200 OK');
  });

  it('prints extra lines from the describe hook after the server address', async () => {
    const { port, lines } = await startEcho(() => ['Cipher: TEST_CIPHER TLSv1.3 256']);
    await exchange(port, async (client) => {
      client.write('GET / HTTP/1.1\r\n\r\n');
    });
    expect(lines.slice(1, 4)).toEqual([`Server address: ('127.0.0.1', ${port})`, 'Cipher: TEST_CIPHER TLSv1.3 256', 'BEGIN REQUEST']);
  });

  it('just closes a connection that ends before the empty line', async () => {
    const { port, lines } = await startEcho();
    const { data } = await exchange(port, async (client) => {
      client.end('GET / HTTP/1.1\r\nHost: x\r\n');
    });
    expect(data.length).toBe(0);
    expect(lines).toEqual([]);
  });

  it('closes without an answer when the head exceeds 64 KiB', async () => {
    const { port, lines } = await startEcho();
    const { data } = await exchange(port, async (client) => {
      client.write(`GET / HTTP/1.1\r\nX-Big: ${'b'.repeat(TCP_ECHO_MAX_HEAD_BYTES)}\r\n\r\n`);
    });
    expect(data.length).toBe(0);
    expect(lines).toEqual([]);
  });
});
