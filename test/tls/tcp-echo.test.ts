/** The tcp-echo app, unchanged, over TLS: its report gains a `Cipher:` line through `describe`. */
import { afterEach, describe, expect, it } from 'vitest';
import { tcpEcho } from '../../src/apps/tcp-echo.js';
import { describeTls } from '../../src/tls/info.js';
import { TlsServer } from '../../src/tls/server.js';
import { CERT, cleanup, clientTlsView, plainConnect, receiveAll, started, startTls, tlsConnect } from './helpers.js';

afterEach(cleanup);

describe('tcp-echo over TLS', () => {
  it('prints the Cipher line after the addresses and answers the page', async () => {
    const lines: string[] = [];
    const { port } = await startTls({ key: CERT.keyPem, cert: CERT.certPem, handler: tcpEcho({ out: (line) => lines.push(line), describe: describeTls }) });
    const socket = await tlsConnect(port, { servername: 'localhost' });
    const { cipher, protocol, bits } = clientTlsView(socket);
    const clientPort = socket.localPort;
    const received = receiveAll(socket);
    socket.write('GET /tls HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const { data } = await received;
    expect(lines).toEqual([
      `Client address: ('127.0.0.1', ${clientPort})`,
      `Server address: ('127.0.0.1', ${port})`,
      `Cipher: ${cipher} ${protocol} ${bits}`,
      'BEGIN REQUEST',
      'GET /tls HTTP/1.1',
      'Host: localhost',
      'END REQUEST',
    ]);
    expect(lines[2]).toBe('Cipher: TLS_AES_256_GCM_SHA384 TLSv1.3 256');
    const text = data.toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(text).toContain('Hello, World!');
  });

  it('the same options with tls: false serve plain TCP, without a Cipher line', async () => {
    const lines: string[] = [];
    const { port } = await started(
      new TlsServer({ tls: false, key: CERT.keyPem, cert: CERT.certPem, handler: tcpEcho({ out: (line) => lines.push(line), describe: describeTls }) }),
    );
    const socket = await plainConnect(port);
    const received = receiveAll(socket);
    socket.write('GET /plain HTTP/1.0\r\n\r\n');
    const { data } = await received;
    expect(lines.filter((line) => line.startsWith('Cipher:'))).toEqual([]);
    expect(lines).toContain('GET /plain HTTP/1.0');
    expect(data.toString('latin1')).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
  });
});
