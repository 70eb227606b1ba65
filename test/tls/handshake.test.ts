/**
 * Handshakes that fail: each goes to the error hook as a TlsHandshakeError, costs only its own
 * connection, and is bounded by the handshake timeout, while a client on another connection is
 * served before, during and after.
 */
import { Buffer } from 'node:buffer';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { ErrorInfo } from '../../src/http/options.js';
import { generateCertificate } from '../../src/tls/certificate.js';
import { TLS_ERROR_CODES, TlsHandshakeError, handshakeErrorCode, type TlsErrorCode } from '../../src/tls/errors.js';
import type { HttpsServer } from '../../src/tls/https.js';
import {
  cleanup,
  exchangeKeepAlive,
  hasCommand,
  plainConnect,
  receiveAll,
  runCommand,
  sleep,
  startHttps,
  tempFile,
  tlsConnect,
  track,
  waitFor,
  within,
} from './helpers.js';

const HANDSHAKE_TIMEOUT_MS = 300;
const HAS_CURL = hasCommand('curl');
const HAS_OPENSSL = hasCommand('openssl', ['version']);

const reported: { error: Error; info: ErrorInfo }[] = [];
let https: { server: HttpsServer; port: number };
/** The first flight of a real client, to send in part. */
let clientHello: Buffer;

beforeAll(async () => {
  https = await startHttps({
    handler: echo({ maxBodyBytes: 1024 }),
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    onError: (error, info) => void reported.push({ error, info }),
  });
  clientHello = await captureClientHello();
});
afterAll(cleanup);

/** What node:tls sends first, caught by a plain server. */
async function captureClientHello(): Promise<Buffer> {
  const catcher = net.createServer();
  await new Promise<void>((resolve) => catcher.listen(0, '127.0.0.1', resolve));
  const { port } = catcher.address() as net.AddressInfo;
  const caught = new Promise<Buffer>((resolve) => {
    catcher.once('connection', (socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
      });
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost' });
  client.on('error', () => undefined);
  try {
    return await within(caught, 5_000, 'a ClientHello');
  } finally {
    client.destroy();
    catcher.close();
  }
}

/** The errors reported after `from`, as TlsHandshakeErrors. */
function handshakeErrorsSince(from: number): TlsHandshakeError[] {
  return reported.slice(from).map(({ error }) => {
    expect(error).toBeInstanceOf(TlsHandshakeError);
    return error as TlsHandshakeError;
  });
}

/**
 * Runs `misbehave` while a healthy keep-alive client is connected, and checks that the failure
 * cost nothing else: the healthy client is served after it, on the same connection, and is the
 * only connection the server holds. Resolves with the one handshake error reported.
 */
async function costsOnlyItsConnection(misbehave: () => Promise<void>, expected: TlsErrorCode): Promise<TlsHandshakeError> {
  const open = https.server.tcp.connections.size;
  const healthy = await tlsConnect(https.port);
  try {
    const [before] = await exchangeKeepAlive(healthy, ['GET /before HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect(before!.status).toBe(200);
    const from = reported.length;
    const failedBefore = https.server.tcp.failedHandshakes;
    await misbehave();
    await waitFor(() => reported.length > from, 5_000, 'the handshake error at the hook');
    const errors = handshakeErrorsSince(from);
    expect(errors.map((e) => e.code)).toEqual([expected]);
    expect(https.server.tcp.failedHandshakes).toBe(failedBefore + 1);
    const [after] = await exchangeKeepAlive(healthy, ['GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    const report = JSON.parse(after!.body.toString('utf8')) as EchoReport;
    expect(report.target).toBe('/after');
    expect(report.client.port).toBe(healthy.localPort);
    // The failed one never became a connection; the healthy one is the only one added.
    expect(https.server.tcp.connections.size).toBe(open + 1);
    return errors[0]!;
  } finally {
    healthy.destroy();
    await waitFor(() => https.server.tcp.connections.size === open, 2_000, 'the healthy connection to close');
  }
}

describe('failed handshakes', () => {
  it('plain HTTP sent to the TLS port: TLS_PLAIN_HTTP, the socket closed', async () => {
    let clientPort = 0;
    const error = await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      clientPort = socket.localPort ?? 0;
      const closed = receiveAll(socket);
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const { data } = await closed;
      expect(data.toString('latin1')).not.toContain('HTTP/1.1 200');
    }, TLS_ERROR_CODES.PLAIN_HTTP);
    expect(error.client).toMatchObject({ address: '127.0.0.1', port: clientPort });
    expect(error.message).toContain(`127.0.0.1:${clientPort}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_SSL_HTTP_REQUEST');
    expect(reported.at(-1)!.info.client).toMatchObject({ address: '127.0.0.1', port: clientPort });
  });

  it('a client that connects and sends nothing is closed at the handshake timeout', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      const { elapsedMs, data } = await receiveAll(socket);
      expect(data).toHaveLength(0);
      expect(elapsedMs).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 1_000);
    }, TLS_ERROR_CODES.HANDSHAKE_TIMEOUT);
  });

  it('a client stalling mid-handshake (half a ClientHello) is closed at the handshake timeout', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      const closed = receiveAll(socket);
      socket.write(clientHello.subarray(0, clientHello.length >> 1));
      const { elapsedMs } = await closed;
      expect(elapsedMs).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 1_000);
    }, TLS_ERROR_CODES.HANDSHAKE_TIMEOUT);
  });

  it('a client trickling its ClientHello does not extend the handshake timeout', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      socket.setNoDelay(true);
      const closed = receiveAll(socket);
      let sent = 0;
      const trickle = setInterval(() => {
        if (sent < clientHello.length - 1 && !socket.destroyed) socket.write(clientHello.subarray(sent, ++sent));
      }, 10);
      try {
        const { elapsedMs } = await closed;
        expect(sent).toBeLessThan(clientHello.length - 1);
        expect(elapsedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 1_000);
      } finally {
        clearInterval(trickle);
      }
    }, TLS_ERROR_CODES.HANDSHAKE_TIMEOUT);
  });

  it('many stalled clients at once are all closed at the timeout', async () => {
    const from = reported.length;
    const healthy = await tlsConnect(https.port);
    const stalled = await Promise.all(Array.from({ length: 20 }, () => plainConnect(https.port)));
    const closed = Promise.all(stalled.map((socket) => receiveAll(socket)));
    const [served] = await exchangeKeepAlive(healthy, ['GET /meanwhile HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect(served!.status).toBe(200);
    const results = await closed;
    for (const { elapsedMs } of results) expect(elapsedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 1_000);
    await waitFor(() => reported.length >= from + 20, 2_000, '20 errors');
    expect(handshakeErrorsSince(from).map((e) => e.code)).toEqual(Array.from({ length: 20 }, () => TLS_ERROR_CODES.HANDSHAKE_TIMEOUT));
    const [after] = await exchangeKeepAlive(healthy, ['GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect(after!.status).toBe(200);
    healthy.destroy();
    await waitFor(() => https.server.tcp.connections.size === 0, 2_000, 'the healthy connection to close');
  });

  it('a client closing mid-handshake (FIN): TLS_HANDSHAKE_ABORTED at once', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      const closed = receiveAll(socket);
      socket.end(clientHello.subarray(0, 20));
      const { elapsedMs } = await closed;
      expect(elapsedMs).toBeLessThan(HANDSHAKE_TIMEOUT_MS);
    }, TLS_ERROR_CODES.HANDSHAKE_ABORTED);
  });

  it('a client resetting mid-handshake (RST): TLS_HANDSHAKE_ABORTED', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      socket.write(clientHello.subarray(0, 20));
      await sleep(20);
      socket.resetAndDestroy();
    }, TLS_ERROR_CODES.HANDSHAKE_ABORTED);
  });

  it('bytes that are not TLS at all: TLS_HANDSHAKE_FAILED', async () => {
    await costsOnlyItsConnection(async () => {
      const socket = await plainConnect(https.port);
      const closed = receiveAll(socket);
      socket.write(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n', 'latin1'));
      await closed;
    }, TLS_ERROR_CODES.HANDSHAKE_FAILED);
  });

  it('a client offering only TLS 1.1: refused (minVersion TLSv1.2)', async () => {
    await costsOnlyItsConnection(async () => {
      await expect(
        tlsConnect(https.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0', servername: 'localhost' }),
      ).rejects.toThrow();
    }, TLS_ERROR_CODES.HANDSHAKE_FAILED);
  });

  it('a client offering only h2 by ALPN: refused, this server speaks http/1.1', async () => {
    await costsOnlyItsConnection(async () => {
      await expect(tlsConnect(https.port, { ALPNProtocols: ['h2'], servername: 'localhost' })).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
      });
    }, TLS_ERROR_CODES.HANDSHAKE_FAILED);
  });

  it('a client offering no ALPN at all is served, with alpn false', async () => {
    const socket = await tlsConnect(https.port, { ALPNProtocols: [] });
    const [response] = await exchangeKeepAlive(socket, ['GET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect((JSON.parse(response!.body.toString('utf8')) as EchoReport).tls?.alpn).toBe(false);
    socket.destroy();
    await waitFor(() => https.server.tcp.connections.size === 0, 2_000, 'the connection to close');
  });
});

describe('a client rejecting our certificate', () => {
  const otherCa = generateCertificate().certPem;

  it.skipIf(!HAS_CURL)('curl without our CA: TLS_CLIENT_ALERT (unknown CA)', async () => {
    const error = await costsOnlyItsConnection(async () => {
      const result = await runCommand('curl', ['-sS', '--cacert', tempFile('other.pem', otherCa), `https://127.0.0.1:${https.port}/`]);
      expect(result.code).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
    }, TLS_ERROR_CODES.CLIENT_ALERT);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  });

  it.skipIf(!HAS_OPENSSL)('openssl s_client -verify_return_error with another CA: TLS_CLIENT_ALERT', async () => {
    await costsOnlyItsConnection(async () => {
      const result = await runCommand(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${https.port}`, '-servername', 'localhost', '-CAfile', tempFile('other.pem', otherCa), '-verify_return_error', '-brief'],
        '',
      );
      expect(result.code).not.toBe(0);
    }, TLS_ERROR_CODES.CLIENT_ALERT);
  });

  it('a node:tls client without our CA gives up after its handshake: nothing else is affected', async () => {
    // Node checks the certificate once OpenSSL's handshake is done and then just closes, without
    // an alert; the server sees either a handshake cut off or a connection that ends unused.
    const open = https.server.tcp.connections.size;
    const healthy = await tlsConnect(https.port);
    const from = reported.length;
    const socket = track(tls.connect({ host: '127.0.0.1', port: https.port, servername: 'localhost', ca: otherCa }));
    const failure = await within(new Promise<Error>((resolve) => socket.once('error', resolve)), 5_000, 'the client to refuse');
    expect((failure as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    await sleep(50);
    for (const error of handshakeErrorsSince(from)) expect(error.code).toBe(TLS_ERROR_CODES.HANDSHAKE_ABORTED);
    const [response] = await exchangeKeepAlive(healthy, ['GET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect(response!.status).toBe(200);
    await waitFor(() => https.server.tcp.connections.size === open + 1, 2_000, 'only the healthy connection open');
    healthy.destroy();
  });
});

describe('handshakeErrorCode', () => {
  it.each([
    ['ERR_TLS_HANDSHAKE_TIMEOUT', TLS_ERROR_CODES.HANDSHAKE_TIMEOUT],
    ['ECONNRESET', TLS_ERROR_CODES.HANDSHAKE_ABORTED],
    ['EPIPE', TLS_ERROR_CODES.HANDSHAKE_ABORTED],
    ['ERR_SSL_HTTP_REQUEST', TLS_ERROR_CODES.PLAIN_HTTP],
    ['ERR_SSL_HTTPS_PROXY_REQUEST', TLS_ERROR_CODES.PLAIN_HTTP],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', TLS_ERROR_CODES.CLIENT_ALERT],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', TLS_ERROR_CODES.CLIENT_ALERT],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', TLS_ERROR_CODES.CLIENT_ALERT],
    ['ERR_SSL_WRONG_VERSION_NUMBER', TLS_ERROR_CODES.HANDSHAKE_FAILED],
    ['ERR_SSL_UNSUPPORTED_PROTOCOL', TLS_ERROR_CODES.HANDSHAKE_FAILED],
    [undefined, TLS_ERROR_CODES.HANDSHAKE_FAILED],
  ])('%s → %s', (nodeCode, expected) => {
    expect(handshakeErrorCode(nodeCode)).toBe(expected);
  });
});
