/**
 * "The same handler, unchanged, over TLS": one echo handler object served plain and over TLS at
 * once answers the same requests the same way, to real clients — node:tls, undici's fetch, curl and
 * openssl s_client — with keep-alive, pipelining and a multi-MiB upload over TLS.
 */
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import type * as net from 'node:net';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { HttpServer } from '../../src/http/server.js';
import type { HttpsServer } from '../../src/tls/https.js';
import {
  CERT,
  cleanup,
  clientTlsView,
  exchangeKeepAlive,
  hasCommand,
  parseResponses,
  plainConnect,
  readResponses,
  receiveAll,
  runCommand,
  startHttp,
  startHttps,
  tempFile,
  tlsConnect,
  type ParsedResponse,
} from './helpers.js';

const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The hook of both servers: the table's bad requests are expected, not worth printing. */
const errors: Error[] = [];
const onError = (error: Error): void => {
  errors.push(error);
};
const HAS_CURL = hasCommand('curl');
const HAS_OPENSSL = hasCommand('openssl', ['version']);

/** The one handler object both listeners serve. */
const handler = echo({ maxBodyBytes: MAX_BODY_BYTES });
let plain: { server: HttpServer; port: number };
let secure: { server: HttpsServer; port: number };
/** One connection per origin, so a second connection would mean the server closed the first. */
const agent = new Agent({ connect: { ca: CERT.certPem }, connections: 1 });

beforeAll(async () => {
  plain = await startHttp({ handler, maxBodyBytes: MAX_BODY_BYTES, onError });
  secure = await startHttps({ handler, maxBodyBytes: MAX_BODY_BYTES, onError });
});
afterAll(async () => {
  await agent.close();
  await cleanup();
});

function withLength(head: string, body: string | Buffer): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  return Buffer.concat([Buffer.from(`${head}Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
}

interface Case {
  name: string;
  request: string | Buffer;
  head?: boolean;
}

/** The shared table: each request goes over plain TCP and over TLS, on a new connection each. */
const TABLE: Case[] = [
  { name: 'GET with a query', request: 'GET /foo/bar?hi=john%20doe&x=&x=2 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: table\r\nConnection: close\r\n\r\n' },
  {
    name: 'POST urlencoded',
    request: withLength(
      'POST /foo/bar?hi=john%20doe HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n',
      'user=James+%26+Nancy+Kirk&user2=&pets=dog&pets=cat',
    ),
  },
  {
    name: 'chunked body with a trailer',
    request: 'POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n',
  },
  { name: 'HEAD', request: 'HEAD /head?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', head: true },
  { name: 'HTTP/1.0 without Host', request: 'GET /old HTTP/1.0\r\n\r\n' },
  { name: 'header case and whitespace', request: 'GET / HTTP/1.1\r\nhOsT: localhost\r\nX-Weird-CASE:   padded value\t \r\nEmpty:\r\nConnection: close\r\n\r\n' },
  { name: 'binary body', request: withLength('PUT /bytes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n', Buffer.from(Array.from({ length: 256 }, (_, i) => i))) },
  { name: 'OPTIONS *', request: 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' },
  { name: 'percent-encoded path', request: 'DELETE /a%2Fb/%E2%9C%93?k=%E2%9C%93 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' },
  { name: 'malformed request line: 400', request: 'GET  / HTTP/1.1\r\nHost: localhost\r\n\r\n' },
  { name: 'no Host in HTTP/1.1: 400', request: 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n' },
  { name: 'both Content-Length and chunked: 400', request: 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
  { name: 'body over the limit: 413', request: `POST /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n` },
  { name: 'unsupported version: 505', request: 'GET / HTTP/2.0\r\nHost: localhost\r\n\r\n' },
];

/** Sends `request` on a new connection and reads until the server closes it. */
async function exchange(socket: net.Socket, request: string | Buffer, head: boolean): Promise<ParsedResponse> {
  const received = receiveAll(socket);
  socket.write(request);
  const { data } = await received;
  const { responses } = parseResponses(data, [head]);
  expect(responses.length, data.toString('latin1').slice(0, 200)).toBeGreaterThanOrEqual(1);
  return responses[0]!;
}

/** The parts of a response that must not depend on the transport. */
function comparable(response: ParsedResponse): { statusLine: string; headers: [string, string][]; body: unknown } {
  const headers = response.headers.filter(([name]) => name !== 'date' && name !== 'content-length');
  let body: unknown = response.body.toString('latin1');
  if (response.header('content-type') === 'application/json' && response.body.length > 0) {
    const { tls: _tls, client: _client, server: _server, ...rest } = JSON.parse(response.body.toString('utf8')) as EchoReport;
    body = rest;
  }
  return { statusLine: response.statusLine, headers, body };
}

describe('the same handler served plain and over TLS at once', () => {
  it.each(TABLE)('$name: the same answer either way', async ({ request, head = false }) => {
    const [plainSocket, tlsSocket] = await Promise.all([plainConnect(plain.port), tlsConnect(secure.port)]);
    const negotiated = clientTlsView(tlsSocket);
    const ports = { plain: plainSocket.localPort, tls: tlsSocket.localPort };
    const [plainResponse, tlsResponse] = await Promise.all([exchange(plainSocket, request, head), exchange(tlsSocket, request, head)]);
    expect(comparable(tlsResponse)).toEqual(comparable(plainResponse));
    if (plainResponse.header('content-type') === 'application/json' && !head) {
      const plainReport = JSON.parse(plainResponse.body.toString('utf8')) as EchoReport;
      const tlsReport = JSON.parse(tlsResponse.body.toString('utf8')) as EchoReport;
      expect(plainReport.tls).toBeNull();
      expect(tlsReport.tls).toEqual(negotiated);
      expect(plainReport.server).toEqual({ address: '127.0.0.1', port: plain.port });
      expect(tlsReport.server).toEqual({ address: '127.0.0.1', port: secure.port });
      expect(plainReport.client).toEqual({ address: '127.0.0.1', port: ports.plain });
      expect(tlsReport.client).toEqual({ address: '127.0.0.1', port: ports.tls });
    }
  });

  it('the tls object is TLS 1.3 with the cipher, bits and ALPN the client sees', async () => {
    const socket = await tlsConnect(secure.port);
    const [response] = await exchangeKeepAlive(socket, ['GET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    const report = JSON.parse(response!.body.toString('utf8')) as EchoReport;
    expect(report.tls).toEqual({ protocol: 'TLSv1.3', cipher: socket.getCipher().standardName, bits: expect.any(Number), alpn: 'http/1.1' });
    expect(report.tls).toEqual(clientTlsView(socket));
    // Node's default preference, and what the contract's example shows.
    expect(report.tls?.cipher).toBe('TLS_AES_256_GCM_SHA384');
    expect(report.tls?.bits).toBe(256);
  });
});

describe('keep-alive and pipelining over TLS', () => {
  it('answers 20 requests pipelined in one write, in order, on one connection', async () => {
    const socket = await tlsConnect(secure.port);
    const requests = Array.from({ length: 20 }, (_, i) => {
      if (i % 5 === 3) return `HEAD /p/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
      if (i % 2 === 1) return withLength(`POST /p/${i} HTTP/1.1\r\nHost: localhost\r\n`, `body ${i}`);
      return `GET /p/${i}?n=${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
    });
    const headOnly = requests.map((request) => typeof request === 'string' && request.startsWith('HEAD'));
    const responses = await exchangeKeepAlive(socket, requests, headOnly);
    expect(responses).toHaveLength(20);
    responses.forEach((response, i) => {
      expect(response.status, `response ${i}`).toBe(200);
      if (headOnly[i]) return;
      const report = JSON.parse(response.body.toString('utf8')) as EchoReport;
      expect(report.target).toBe(i % 2 === 1 ? `/p/${i}` : `/p/${i}?n=${i}`);
      expect(Buffer.from(report.body, 'base64').toString('latin1')).toBe(i % 2 === 1 ? `body ${i}` : '');
      expect(report.client.port).toBe(socket.localPort);
      expect(report.tls).toEqual(clientTlsView(socket));
    });
    // Still open for more: keep-alive.
    const [again] = await exchangeKeepAlive(socket, ['GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n']);
    expect((JSON.parse(again!.body.toString('utf8')) as EchoReport).target).toBe('/again');
  });

  it('answers pipelined requests sent before the client half-closes, then closes', async () => {
    const socket = await tlsConnect(secure.port);
    const received = receiveAll(socket);
    socket.end(Array.from({ length: 20 }, (_, i) => `GET /h/${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join(''));
    const { data } = await received;
    const { responses, rest } = parseResponses(data);
    expect(responses.map((r) => (JSON.parse(r.body.toString('utf8')) as EchoReport).target)).toEqual(Array.from({ length: 20 }, (_, i) => `/h/${i}`));
    expect(rest).toHaveLength(0);
  });

  it('closes after a response to Connection: close, keeps open otherwise', async () => {
    const socket = await tlsConnect(secure.port);
    const closed = receiveAll(socket);
    const responses = await exchangeKeepAlive(socket, ['GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n']);
    expect(responses.map((r) => r.header('connection'))).toEqual([undefined, 'close']);
    await closed;
  });
});

describe('real TLS clients', () => {
  it('fetch (undici) with the certificate as its CA, reusing one connection', async () => {
    const reports: EchoReport[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`https://127.0.0.1:${secure.port}/fetch/${i}?i=${i}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `n=${i}&name=fetch`,
        dispatcher: agent,
      });
      expect(response.status).toBe(200);
      reports.push((await response.json()) as EchoReport);
    }
    expect(reports.map((r) => r.form)).toEqual([0, 1, 2].map((i) => ({ n: [String(i)], name: ['fetch'] })));
    expect(new Set(reports.map((r) => r.client.port)).size).toBe(1);
    for (const report of reports) expect(report.tls).toMatchObject({ protocol: 'TLSv1.3', alpn: 'http/1.1' });
    // The same request over plain HTTP reads the same, but for the transport (and the Host port,
    // and the br that undici offers over HTTPS only).
    const plainReport = (await (
      await fetch(`http://127.0.0.1:${plain.port}/fetch/0?i=0`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'n=0&name=fetch',
      })
    ).json()) as EchoReport;
    const strip = ({ tls: _t, client: _c, server: _s, headers, ...rest }: EchoReport): unknown => ({ ...rest, headers: headers.filter(([name]) => !['host', 'accept-encoding'].includes(name.toLowerCase())) });
    expect(strip(reports[0]!)).toEqual(strip(plainReport));
  });

  it('fetch refuses the server without the CA', async () => {
    const untrusting = new Agent();
    try {
      await expect(fetch(`https://127.0.0.1:${secure.port}/`, { dispatcher: untrusting })).rejects.toMatchObject({
        cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
    } finally {
      await untrusting.close();
    }
  });

  it.skipIf(!HAS_CURL)('curl --cacert, by name, two requests on one connection', async () => {
    const ca = tempFile('ca.pem', CERT.certPem);
    const base = `https://localhost:${secure.port}`;
    const result = await runCommand('curl', [
      '-sS', '--cacert', ca, '--resolve', `localhost:${secure.port}:127.0.0.1`, '-w', '\n',
      `${base}/curl/1?a=1`, '-d', 'x=1&y=2', `${base}/curl/2`,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const reports = result.stdout.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as EchoReport);
    expect(reports.map((r) => r.target)).toEqual(['/curl/1?a=1', '/curl/2']);
    expect(reports[0]!.method).toBe('POST');
    expect(reports[0]!.form).toEqual({ x: ['1'], y: ['2'] });
    expect(reports[0]!.client.port).toBe(reports[1]!.client.port);
    for (const report of reports) {
      expect(report.tls).toMatchObject({ protocol: 'TLSv1.3', alpn: 'http/1.1' });
      expect(report.headers).toContainEqual(['Host', `localhost:${secure.port}`]);
    }
  });

  it.skipIf(!HAS_OPENSSL)('openssl s_client verifies the certificate and gets an answer', async () => {
    const ca = tempFile('ca.pem', CERT.certPem);
    const result = await runCommand(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${secure.port}`, '-servername', 'localhost', '-CAfile', ca,
        '-verify_return_error', '-verify_hostname', 'localhost', '-alpn', 'http/1.1', '-brief', '-ign_eof'],
      'GET /s_client HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(result.stderr).toContain('Verification: OK');
    expect(result.stderr).toContain('Protocol version: TLSv1.3');
    const { responses } = parseResponses(result.stdout);
    expect(responses).toHaveLength(1);
    const report = JSON.parse(responses[0]!.body.toString('utf8')) as EchoReport;
    expect(report.target).toBe('/s_client');
    expect(report.tls).toMatchObject({ protocol: 'TLSv1.3', alpn: 'http/1.1' });
    expect(result.stderr).toContain(`Ciphersuite: ${report.tls?.cipher}`);
  });
});

describe('uploads over TLS', () => {
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

  it('a 6 MiB body with Content-Length in one write', async () => {
    const body = randomBytes(6 * 1024 * 1024);
    const socket = await tlsConnect(secure.port);
    const [response] = await exchangeKeepAlive(socket, [withLength('PUT /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n', body)]);
    expect(response!.status).toBe(200);
    const report = JSON.parse(response!.body.toString('utf8')) as EchoReport;
    expect(sha256(Buffer.from(report.body, 'base64'))).toBe(sha256(body));
  });

  it('a 5 MiB chunked body written in 64 KiB pieces', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const socket = await tlsConnect(secure.port);
    const responses = readResponses(socket, 1, [], 20_000);
    socket.write('POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let at = 0; at < body.length; at += 64 * 1024) {
      const piece = body.subarray(at, at + 64 * 1024);
      socket.write(`${piece.length.toString(16)}\r\n`);
      socket.write(piece);
      socket.write('\r\n');
    }
    socket.write('0\r\n\r\n');
    const [response] = await responses;
    const report = JSON.parse(response!.body.toString('utf8')) as EchoReport;
    expect(sha256(Buffer.from(report.body, 'base64'))).toBe(sha256(body));
  });

  it('a 4 MiB body through fetch', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const response = await fetch(`https://127.0.0.1:${secure.port}/upload`, { method: 'POST', body, dispatcher: agent });
    const report = (await response.json()) as EchoReport;
    expect(sha256(Buffer.from(report.body, 'base64'))).toBe(sha256(body));
  });
});
