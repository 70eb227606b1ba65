/** tlsInfoOf and the Cipher line: what was negotiated, as the client sees it, for several suites. */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { TlsInfo } from '../../src/http/request.js';
import { cipherLine, secretBits, tlsInfoOf } from '../../src/tls/info.js';
import { cleanup, clientTlsView, exchangeKeepAlive, startHttps, tlsConnect, within } from './helpers.js';

let port: number;

beforeAll(async () => {
  ({ port } = await startHttps({ handler: echo({ maxBodyBytes: 1024 }) }));
});
afterAll(cleanup);

describe('secretBits', () => {
  it.each([
    ['TLS_AES_256_GCM_SHA384', 256],
    ['TLS_AES_128_GCM_SHA256', 128],
    ['TLS_AES_128_CCM_SHA256', 128],
    ['TLS_CHACHA20_POLY1305_SHA256', 256],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 256],
    ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 128],
    ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 256],
    ['TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384', 256],
    ['TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256', 128],
    ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 112],
    ['TLS_NULL_WITH_NULL_NULL', 0],
  ])('%s → %d', (name, bits) => {
    expect(secretBits(name)).toBe(bits);
  });
});

describe('cipherLine', () => {
  it('is name, protocol and bits, as Python prints SSLSocket.cipher()', () => {
    const info: TlsInfo = { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, alpn: 'http/1.1' };
    expect(cipherLine(info)).toBe('TLS_AES_256_GCM_SHA384 TLSv1.3 256');
  });
});

describe('tlsInfoOf', () => {
  it('is null for a plain socket', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const accepted = within(new Promise<net.Socket>((resolve) => server.once('connection', resolve)), 5_000, 'accept');
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      const socket = await accepted;
      expect(tlsInfoOf(socket)).toBeNull();
      expect(tlsInfoOf(client)).toBeNull();
      client.destroy();
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it('read first after the client has gone (request.tls is worked out when a handler reads it): still TLS, the details unknown', async () => {
    let seen: TlsInfo | null | undefined;
    let clientGone!: () => void;
    const gone = new Promise<void>((resolve) => (clientGone = resolve));
    const { port: lazyPort } = await startHttps({
      handler: async (request, response) => {
        await gone;
        // The connection is gone once the request says so.
        await new Promise((resolve) => (request.signal.aborted ? resolve(undefined) : request.signal.addEventListener('abort', resolve)));
        seen = request.tls;
        response.end();
      },
    });
    const raw = net.connect(lazyPort, '127.0.0.1');
    raw.on('error', () => undefined);
    const socket = await tlsConnect(lazyPort, { socket: raw, servername: 'localhost' });
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A reset, not a FIN: after a FIN the server would keep its half open to answer.
    raw.resetAndDestroy();
    clientGone();
    await within(
      new Promise<void>((resolve) => {
        const poll = setInterval(() => seen !== undefined && (clearInterval(poll), resolve()), 10);
      }),
      5_000,
      'the handler to read request.tls',
    );
    expect(seen).toEqual({ protocol: 'unknown', cipher: 'unknown', bits: 0, alpn: 'http/1.1' });
  });

  it.each([
    ['TLS 1.3, AES-256-GCM (the default)', {}, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256],
    ['TLS 1.3, AES-128-GCM', { ciphers: 'TLS_AES_128_GCM_SHA256' }, 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', 128],
    ['TLS 1.3, ChaCha20-Poly1305', { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, 'TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256', 256],
    ['TLS 1.2, by its IANA name', { maxVersion: 'TLSv1.2' as const }, 'TLSv1.2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 128],
    ['TLS 1.2, AES-256-GCM', { maxVersion: 'TLSv1.2' as const, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }, 'TLSv1.2', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 256],
    ['TLS 1.2, ChaCha20', { maxVersion: 'TLSv1.2' as const, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }, 'TLSv1.2', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 256],
  ])('%s: the echo tls object matches the client', async (_name, options, protocol, cipher, bits) => {
    const socket = await tlsConnect(port, options);
    const [response] = await exchangeKeepAlive(socket, ['GET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    const report = JSON.parse(response!.body.toString('utf8')) as EchoReport;
    expect(report.tls).toEqual({ protocol, cipher, bits, alpn: 'http/1.1' });
    expect(report.tls).toEqual(clientTlsView(socket));
    socket.destroy();
  });
});
