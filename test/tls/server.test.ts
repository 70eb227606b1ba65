/** TlsServer's and HttpsServer's options, and their lifecycle with handshakes in flight. */
import { createPrivateKey } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { Handler } from '../../src/http/options.js';
import { generateCertificate } from '../../src/tls/certificate.js';
import { HttpsServer, serveHttps } from '../../src/tls/https.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HTTPS_PORT,
  DEFAULT_HTTP_PORT,
  MAX_HANDSHAKE_TIMEOUT_MS,
  TlsServer,
} from '../../src/tls/server.js';
import {
  CERT,
  cleanup,
  exchangeKeepAlive,
  plainConnect,
  readResponses,
  receiveAll,
  sleep,
  started,
  startHttps,
  tempFile,
  tlsConnect,
  within,
} from './helpers.js';

afterEach(cleanup);

const noop = (): void => undefined;
const GET = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';

async function echoedTls(port: number, options: Parameters<typeof tlsConnect>[1] = {}): Promise<EchoReport['tls']> {
  const socket = await tlsConnect(port, options);
  const [response] = await exchangeKeepAlive(socket, [GET]);
  socket.destroy();
  return (JSON.parse(response!.body.toString('utf8')) as EchoReport).tls;
}

describe('TlsServer options', () => {
  it('its TLS listener turns TCP_NODELAY on for each socket as it is accepted, as the plain one does', async () => {
    class Probe extends TlsServer {
      listener: import('node:net').Server | undefined;
      protected override createListener(onSocket: (socket: import('node:net').Socket) => void): import('node:net').Server {
        return (this.listener = super.createListener(onSocket));
      }
    }
    const probe = new Probe({ key: CERT.keyPem, cert: CERT.certPem, handler: noop });
    await probe.listen();
    expect((probe.listener as import('node:net').Server & { noDelay?: boolean }).noDelay).toBe(true);
    await probe.close();
  });

  it('names the classic ports and a bounded handshake timeout', () => {
    expect(DEFAULT_HTTP_PORT).toBe(8000);
    expect(DEFAULT_HTTPS_PORT).toBe(8003);
    const server = new TlsServer({ key: CERT.keyPem, cert: CERT.certPem, handler: noop });
    expect(server.tls).toBe(true);
    expect(server.handshakeTimeoutMs).toBe(DEFAULT_HANDSHAKE_TIMEOUT_MS);
    expect(DEFAULT_HANDSHAKE_TIMEOUT_MS).toBe(10_000);
    expect(new TlsServer({ key: CERT.keyPem, cert: CERT.certPem, handler: noop, handshakeTimeoutMs: MAX_HANDSHAKE_TIMEOUT_MS }).handshakeTimeoutMs).toBe(120_000);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, MAX_HANDSHAKE_TIMEOUT_MS + 1]) {
      expect(() => new TlsServer({ key: CERT.keyPem, cert: CERT.certPem, handler: noop, handshakeTimeoutMs: bad }), String(bad)).toThrow(RangeError);
    }
  });

  it('reads the key and certificate from files, or takes them as Buffers', async () => {
    const keyFile = tempFile('key.pem', CERT.keyPem);
    const certFile = tempFile('cert.pem', CERT.certPem);
    const fromFiles = await startHttps({ handler: echo({ maxBodyBytes: 1024 }), key: keyFile, cert: certFile });
    expect(await echoedTls(fromFiles.port)).toMatchObject({ protocol: 'TLSv1.3' });
    const fromBuffers = await startHttps({ handler: echo({ maxBodyBytes: 1024 }), key: Buffer.from(CERT.keyPem), cert: Buffer.from(CERT.certPem), ca: [CERT.certPem] });
    expect(await echoedTls(fromBuffers.port)).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('fails at construction on a missing file, a key that does not match, a wrong passphrase', () => {
    expect(() => new TlsServer({ key: '/nonexistent/seal-key.pem', cert: CERT.certPem, handler: noop })).toThrow(/cannot read the key from '\/nonexistent\/seal-key.pem'/);
    expect(() => new TlsServer({ key: generateCertificate().keyPem, cert: CERT.certPem, handler: noop })).toThrow(/key values mismatch/);
    const encrypted = createPrivateKey(CERT.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'sesame' }).toString();
    expect(() => new TlsServer({ key: encrypted, cert: CERT.certPem, passphrase: 'wrong', handler: noop })).toThrow();
    expect(() => new TlsServer({ key: CERT.keyPem, cert: CERT.certPem, handler: noop, sni: { 'a.test': { key: CERT.keyPem, cert: '/nonexistent/a.pem' } } })).toThrow(
      /cannot read the 'a.test' certificate/,
    );
  });

  it('decrypts a key with its passphrase', async () => {
    const encrypted = createPrivateKey(CERT.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'sesame' }).toString();
    const { port } = await startHttps({ handler: echo({ maxBodyBytes: 1024 }), key: encrypted, passphrase: 'sesame' });
    expect(await echoedTls(port)).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('tls: false serves the same options as plain HTTP, with tls null', async () => {
    const { server, port } = await started(new HttpsServer({ tls: false, handler: echo({ maxBodyBytes: 1024 }) }));
    expect(server.tcp.tls).toBe(false);
    const socket = await plainConnect(port);
    const [response] = await exchangeKeepAlive(socket, [GET]);
    expect((JSON.parse(response!.body.toString('utf8')) as EchoReport).tls).toBeNull();
  });

  it('serveHttps listens at once', async () => {
    const server = await serveHttps({ key: CERT.keyPem, cert: CERT.certPem, handler: echo({ maxBodyBytes: 1024 }) });
    try {
      expect(server.address?.port).toBeGreaterThan(0);
      expect(await echoedTls(server.address!.port)).toMatchObject({ protocol: 'TLSv1.3' });
    } finally {
      await server.close();
    }
  });
});

describe('default error hooks', () => {
  async function stderrDuringPlainHttpTo(port: number, server: { failedHandshakes: number }): Promise<string[]> {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const socket = await plainConnect(port);
      const closed = receiveAll(socket);
      socket.write(GET);
      await closed;
      await within(
        (async () => {
          while (server.failedHandshakes === 0) await sleep(5);
        })(),
        2_000,
        'the failed handshake',
      );
    } finally {
      spy.mockRestore();
    }
    return written;
  }

  it('TlsServer prints a failed handshake as one line', async () => {
    const { server, port } = await started(new TlsServer({ key: CERT.keyPem, cert: CERT.certPem, handler: noop }));
    const written = await stderrDuringPlainHttpTo(port, server);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^seal: TLS handshake with 127\.0\.0\.1:\d+ got plain HTTP on the TLS port \(ERR_SSL_HTTP_REQUEST\)\n$/);
  });

  it('HttpsServer leaves failed handshakes out, as it does 4xx errors', async () => {
    const { server, port } = await startHttps({ handler: echo({ maxBodyBytes: 1024 }) });
    expect(await stderrDuringPlainHttpTo(port, server.tcp)).toEqual([]);
  });
});

describe('closing with handshakes and requests in flight', () => {
  it('finishes a request in flight, closes idle connections, and drops a stalled handshake at the deadline', async () => {
    const slow: Handler = async (request, response) => {
      await sleep(150);
      response.end(`slow ${request.target}`);
    };
    const { server, port } = await startHttps({ handler: slow });
    const idle = await tlsConnect(port);
    const idleClosed = receiveAll(idle);
    const stalled = await plainConnect(port);
    const stalledClosed = receiveAll(stalled);
    const busy = await tlsConnect(port);
    const answered = readResponses(busy, 1);
    busy.write('GET /busy HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await sleep(30);
    const started = Date.now();
    await within(server.close({ deadlineMs: 400 }), 3_000, 'close');
    expect(Date.now() - started).toBeLessThan(1_500);
    const [response] = await answered;
    expect(response!.body.toString('latin1')).toBe('slow /busy');
    expect(response!.header('connection')).toBe('close');
    await idleClosed;
    await stalledClosed;
  });
});
