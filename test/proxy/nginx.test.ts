/**
 * Seal behind a real nginx on 127.0.0.1: as an HTTP upstream with keep-alive connections
 * (requests, many requests over few upstream connections, pipelined requests from the client,
 * a multipart upload buffered by nginx, the client's address with and without `trustProxy`), and
 * behind nginx's stream module sending the PROXY protocol.
 *
 * The client connects from 127.0.0.2 (any 127/8 address is loopback on Linux), so the address
 * nginx forwards differs from nginx's own upstream address, 127.0.0.1.
 */
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { Handler } from '../../src/http/options.js';
import { HttpServer } from '../../src/http/server.js';
import { readResponses, type ParsedResponse } from '../tls/helpers.js';
import { NET_ERROR_CODES, type NetError } from '../../src/net/errors.js';
import { waitFor, within } from '../support/waits.js';
import { SKIP_NGINX, startNginx, streamModuleDirective, type NginxInstance } from './nginx.js';

const CLIENT_ADDRESS = '127.0.0.2';
const MAX_BODY = 32 * 1024 * 1024;

/** The echo app, plus what the request says about its protocol, and a record of the peers. */
function recordingEcho(peers: Set<string>): Handler {
  const app = echo({ maxBodyBytes: MAX_BODY });
  return (request, response) => {
    peers.add(`${request.peer.address}:${request.peer.port}`);
    response.setHeader('X-Seal-Protocol', request.protocol);
    return app(request, response);
  };
}

const clients = new Set<net.Socket>();
// Both suites' raw clients, destroyed after every test.
afterEach(() => {
  for (const socket of clients) socket.destroy();
  clients.clear();
});

/** A raw client to nginx from CLIENT_ADDRESS. */
function connectFrom(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: CLIENT_ADDRESS });
  clients.add(socket);
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      socket.once('connect', () => {
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    5_000,
    `connect to nginx on ${port}`,
  );
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: seal.test\r\n${extra}\r\n`;
const report = (response: ParsedResponse): EchoReport => JSON.parse(response.body.toString('utf8')) as EchoReport;

async function exchange(socket: net.Socket, requests: string | Buffer, count = 1, ms = 20_000): Promise<ParsedResponse[]> {
  const responses = readResponses(socket, count, [], ms);
  socket.write(requests);
  return responses;
}

/**
 * What a location sets for a keep-alive upstream: HTTP/1.1 without `Connection: close`, and the
 * forwarding headers — X-Forwarded-For appended to the client's own, Forwarded set.
 */
const proxyHeaders = (xForwardedFor = true): string => `
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      ${xForwardedFor ? 'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;' : ''}
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Forwarded "for=\\"$remote_addr:$remote_port\\";proto=$scheme";`;

describe.skipIf(SKIP_NGINX)('behind nginx as an HTTP upstream (keep-alive)', () => {
  const trustedPeers = new Set<string>();
  const untrustedPeers = new Set<string>();
  let trusted: HttpServer;
  let untrusted: HttpServer;
  let nginx: NginxInstance;
  let port: number;

  beforeAll(async () => {
    trusted = new HttpServer({ handler: recordingEcho(trustedPeers), trustProxy: ['127.0.0.1'], maxBodyBytes: MAX_BODY });
    untrusted = new HttpServer({ handler: recordingEcho(untrustedPeers), maxBodyBytes: MAX_BODY });
    const trustedPort = (await trusted.listen()).port;
    const untrustedPort = (await untrusted.listen()).port;
    nginx = await startNginx(['http'], (ports, dir) => `
  http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body_temp;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    client_max_body_size 64m;
    upstream trusted { server 127.0.0.1:${trustedPort}; keepalive 16; }
    upstream untrusted { server 127.0.0.1:${untrustedPort}; keepalive 16; }
    server {
      listen 127.0.0.1:${ports.http};
      location /trusted/ { proxy_pass http://trusted; ${proxyHeaders()} }
      location /untrusted/ { proxy_pass http://untrusted; ${proxyHeaders()} }
      location /forwarded/ { proxy_pass http://trusted; ${proxyHeaders(false)} }
    }
  }`);
    port = nginx.ports.http!;
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([trusted?.close({ deadlineMs: 1_000 }), untrusted?.close({ deadlineMs: 1_000 })]);
  });

  it('answers GETs through nginx', async () => {
    const socket = await connectFrom(port);
    const [response] = await exchange(socket, GET('/trusted/hello?x=1'));
    expect(response!.status).toBe(200);
    const body = report(response!);
    expect(body.method).toBe('GET');
    expect(body.target).toBe('/trusted/hello?x=1');
    expect(body.query).toEqual({ x: ['1'] });
    expect(body.headers.find(([name]) => name.toLowerCase() === 'connection')).toBeUndefined();
  });

  it('many requests reuse few upstream connections (keepalive 16)', async () => {
    untrustedPeers.clear();
    const socket = await connectFrom(port);
    for (let i = 0; i < 30; i++) {
      const [response] = await exchange(socket, GET(`/untrusted/seq/${i}`));
      expect(report(response!).path).toBe(`/untrusted/seq/${i}`);
    }
    // One client, one request at a time: nginx keeps reusing one idle upstream connection.
    expect(untrustedPeers.size).toBeLessThanOrEqual(2);

    untrustedPeers.clear();
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connectFrom(port)));
    for (let round = 0; round < 10; round++) {
      await Promise.all(sockets.map((s, i) => exchange(s, GET(`/untrusted/par/${round}/${i}`))));
    }
    expect(untrustedPeers.size).toBeGreaterThanOrEqual(1);
    expect(untrustedPeers.size).toBeLessThanOrEqual(16);
  });

  it('answers pipelined requests from the client in order', async () => {
    const socket = await connectFrom(port);
    const paths = Array.from({ length: 12 }, (_, i) => `/trusted/pipelined/${i}`);
    const responses = await exchange(socket, paths.map((p) => GET(p)).join(''), paths.length);
    expect(responses.map((r) => report(r).path)).toEqual(paths);
  });

  it('carries a multipart upload of a few MiB (buffered by nginx to its temp folder) intact', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const boundary = '----seal-nginx-upload';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const head = `POST /trusted/upload HTTP/1.1\r\nHost: seal.test\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const socket = await connectFrom(port);
    const [response] = await exchange(socket, Buffer.concat([Buffer.from(head), body]), 1, 30_000);
    expect(response!.status).toBe(200);
    const echoed = report(response!);
    expect(echoed.form).toEqual({ note: ['hello'] });
    expect(echoed.files).toEqual([
      { field: 'file', filename: 'blob.bin', contentType: 'application/octet-stream', size: content.length, sha256: createHash('sha256').update(content).digest('hex') },
    ]);
  });

  it('the client’s address: the forwarded one with trustProxy [127.0.0.1], nginx’s without', async () => {
    const socket = await connectFrom(port);
    const [viaTrusted] = await exchange(socket, GET('/trusted/who'));
    expect(report(viaTrusted!).client.address).toBe(CLIENT_ADDRESS);
    expect(viaTrusted!.header('x-seal-protocol')).toBe('http');
    const [viaUntrusted] = await exchange(socket, GET('/untrusted/who'));
    expect(report(viaUntrusted!).client.address).toBe('127.0.0.1');
  });

  it('a client cannot name itself: its own X-Forwarded-For entry is left of the one nginx appends', async () => {
    const socket = await connectFrom(port);
    const [response] = await exchange(socket, GET('/trusted/spoof', 'X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n'));
    const body = report(response!);
    expect(body.headers.find(([name]) => name.toLowerCase() === 'x-forwarded-for')?.[1]).toBe(`6.6.6.6, ${CLIENT_ADDRESS}`);
    expect(body.client.address).toBe(CLIENT_ADDRESS);
  });

  it('Forwarded alone (RFC 7239): the client’s address and port', async () => {
    const socket = await connectFrom(port);
    const [response] = await exchange(socket, GET('/forwarded/who'));
    const body = report(response!);
    expect(body.headers.find(([name]) => name.toLowerCase() === 'x-forwarded-for')).toBeUndefined();
    expect(body.client).toEqual({ address: CLIENT_ADDRESS, port: socket.localPort });
  });
});

const STREAM = SKIP_NGINX ? null : streamModuleDirective();

describe.skipIf(SKIP_NGINX || (STREAM === null && !process.env.CI))('behind nginx’s stream module sending the PROXY protocol', () => {
  let seal: HttpServer;
  let nginx: NginxInstance;
  let port: number;
  let sealPort: number;
  const errors: Error[] = [];

  beforeAll(async () => {
    seal = new HttpServer({ handler: recordingEcho(new Set()), proxyProtocol: { trusted: ['loopback'] }, onError: (error) => errors.push(error) });
    sealPort = (await seal.listen()).port;
    nginx = await startNginx(['stream'], (ports) => `
  stream {
    server {
      listen 127.0.0.1:${ports.stream};
      proxy_pass 127.0.0.1:${sealPort};
      proxy_protocol on;
    }
  }`);
    port = nginx.ports.stream!;
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await seal?.close({ deadlineMs: 1_000 });
  });

  it('the connection’s client is the one nginx accepted, for every pipelined request on it', async () => {
    const socket = await connectFrom(port);
    const responses = await exchange(socket, GET('/a') + GET('/b') + GET('/c'), 3);
    for (const response of responses) {
      const body = report(response);
      expect(body.client).toEqual({ address: CLIENT_ADDRESS, port: socket.localPort });
      expect(body.server).toEqual({ address: '127.0.0.1', port });
    }
    expect(responses.map((r) => report(r).path)).toEqual(['/a', '/b', '/c']);
  });

  it('a direct connection without the header is refused', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: sealPort });
    clients.add(socket);
    socket.on('error', () => undefined);
    socket.write(GET('/'));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await within(new Promise((resolve) => socket.once('close', resolve)), 5_000, 'the direct connection to close');
    expect(Buffer.concat(received).length).toBe(0);
    await waitFor(() => errors.length > 0, 5_000, 'the refusal to be reported');
    expect((errors[0] as NetError).code).toBe(NET_ERROR_CODES.PROXY_HEADER_INVALID);
  });
});
