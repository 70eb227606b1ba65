/**
 * End to end over raw sockets on 127.0.0.1: the PROXY protocol listener (v1 and v2 headers
 * written by a raw client, pipelined requests in the same chunk, split headers, refusals,
 * timeouts, TLS after the header) and `trustProxy` (request.client, peer and protocol).
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import type { Handler } from '../../src/http/options.js';
import { HttpServer } from '../../src/http/server.js';
import { NET_ERROR_CODES, NetError } from '../../src/net/errors.js';
import { serializeProxyV1, serializeProxyV2 } from '../../src/net/proxy-protocol.js';
import { TcpServer } from '../../src/net/server.js';
import {
  cleanup,
  errorLog,
  exchangeKeepAlive,
  parseResponses,
  plainConnect,
  receiveAll,
  started,
  startHttp,
  startHttps,
  tlsConnect,
  waitFor,
  within,
} from '../tls/helpers.js';

afterEach(cleanup);

const app = echo({ maxBodyBytes: 1024 * 1024 });
const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const report = (body: Buffer): EchoReport => JSON.parse(body.toString('utf8')) as EchoReport;
const codes = (errors: Error[]): string[] => errors.map((e) => (e instanceof NetError ? e.code : e.name));

const client = { address: '203.0.113.7', port: 40_001, family: 'IPv4' as const };
const proxyFront = { address: '198.51.100.1', port: 443, family: 'IPv4' as const };

describe('PROXY protocol listener', () => {
  it('v1 and v2: the connection takes the header’s addresses; pipelined requests in the same chunk are all answered', async () => {
    const { port } = await startHttp({ handler: app, proxyProtocol: true });
    for (const header of [Buffer.from(serializeProxyV1(client, proxyFront)), Buffer.from(serializeProxyV2(client, proxyFront))]) {
      const socket = await plainConnect(port);
      const all = Buffer.concat([header, Buffer.from(GET('/1') + GET('/2') + GET('/3', 'Connection: close\r\n'))]);
      socket.write(all);
      const { data } = await receiveAll(socket);
      const { responses } = parseResponses(data);
      const bodies = responses.map((response) => report(response.body));
      expect(bodies.map((body) => body.path)).toEqual(['/1', '/2', '/3']);
      for (const body of bodies) {
        expect(body.client).toEqual({ address: client.address, port: client.port });
        expect(body.server).toEqual({ address: proxyFront.address, port: proxyFront.port });
      }
    }
  });

  it('v2 over IPv6 with TLVs, the header written one byte at a time', async () => {
    const { port } = await startHttp({ handler: app, proxyProtocol: true });
    const socket = await plainConnect(port);
    const header = serializeProxyV2(
      { address: '2001:db8::7', port: 1234, family: 'IPv6' },
      { address: '2001:db8::1', port: 80, family: 'IPv6' },
      Uint8Array.from([0x04, 0x00, 0x03, 1, 2, 3]),
    );
    for (const byte of header) {
      socket.write(Uint8Array.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [response] = await exchangeKeepAlive(socket, [GET('/v6')]);
    expect(report(response!.body).client).toEqual({ address: '2001:db8::7', port: 1234 });
  });

  it('v2 LOCAL and v1 UNKNOWN keep the socket’s own addresses', async () => {
    const { port } = await startHttp({ handler: app, proxyProtocol: true });
    for (const header of [Buffer.from(serializeProxyV2(null, null)), Buffer.from('PROXY UNKNOWN\r\n')]) {
      const socket = await plainConnect(port);
      const [response] = await exchangeKeepAlive(socket, [Buffer.concat([header, Buffer.from(GET('/'))])]);
      expect(report(response!.body).client).toEqual({ address: '127.0.0.1', port: socket.localPort });
    }
  });

  const refused: [string, Buffer | null, string][] = [
    ['a plain HTTP request (no header)', Buffer.from(GET('/')), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['garbage', Buffer.from('\x16\x03\x01garbage'), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a malformed v1 line', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n' + GET('/')), NET_ERROR_CODES.PROXY_HEADER_INVALID],
    ['a line with no CRLF in 107 bytes', Buffer.from(`PROXY UNKNOWN ${'x'.repeat(200)}`), NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE],
    ['nothing at all (timeout)', null, NET_ERROR_CODES.PROXY_HEADER_TIMEOUT],
  ];
  for (const [name, bytes, code] of refused) {
    it(`closes a connection that sends ${name}, unanswered, and reports ${code}`, async () => {
      const log = errorLog();
      const { port } = await startHttp({ handler: app, proxyProtocol: { timeoutMs: 300 }, onError: log.hook });
      const socket = await plainConnect(port);
      if (bytes !== null) socket.write(bytes);
      const { data } = await receiveAll(socket);
      expect(data.length).toBe(0);
      await log.waitFor(1);
      expect(codes(log.errors)).toEqual([code]);
    });
  }

  it('a connection closed before its first byte (a TCP health check) is not reported', async () => {
    const log = errorLog();
    const { port } = await startHttp({ handler: app, proxyProtocol: true, onError: log.hook });
    const socket = await plainConnect(port);
    socket.end();
    await receiveAll(socket);
    const after = await plainConnect(port);
    after.end('X');
    await receiveAll(after);
    await log.waitFor(1);
    expect(codes(log.errors)).toEqual([NET_ERROR_CODES.PROXY_HEADER_INVALID]);
  });

  it('closes a connection that ends inside the header (PROXY_HEADER_INCOMPLETE)', async () => {
    const log = errorLog();
    const { port } = await startHttp({ handler: app, proxyProtocol: true, onError: log.hook });
    const socket = await plainConnect(port);
    socket.end('PROXY TCP4 1.2');
    await receiveAll(socket);
    await log.waitFor(1);
    expect(codes(log.errors)).toEqual([NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE]);
  });

  it('closes a peer outside `trusted` unread (PROXY_PEER_UNTRUSTED); a trusted one is served', async () => {
    const log = errorLog();
    const { port: closedPort } = await startHttp({ handler: app, proxyProtocol: { trusted: ['10.0.0.0/8'] }, onError: log.hook });
    const socket = await plainConnect(closedPort);
    socket.write(serializeProxyV1(client, proxyFront) + GET('/'));
    expect((await receiveAll(socket)).data.length).toBe(0);
    await log.waitFor(1);
    expect(codes(log.errors)).toEqual([NET_ERROR_CODES.PROXY_PEER_UNTRUSTED]);

    const { port } = await startHttp({ handler: app, proxyProtocol: { trusted: ['loopback'] } });
    const trusted = await plainConnect(port);
    const [response] = await exchangeKeepAlive(trusted, [serializeProxyV1(client, proxyFront) + GET('/')]);
    expect(report(response!.body).client.address).toBe(client.address);
  });

  it('without the option, a PROXY line is just a bad request (400)', async () => {
    const { port } = await startHttp({ handler: app });
    const socket = await plainConnect(port);
    socket.write(serializeProxyV1(client, proxyFront) + GET('/'));
    const { data } = await receiveAll(socket);
    expect(data.toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('TLS: the header comes before the handshake; the handshake bytes may share its chunk', async () => {
    const { port } = await startHttps({ handler: app, proxyProtocol: true });
    const raw = await plainConnect(port);
    raw.cork();
    raw.write(serializeProxyV2(client, proxyFront));
    const secure = tlsConnect(port, { socket: raw });
    process.nextTick(() => raw.uncork());
    const socket = await secure;
    const [response] = await exchangeKeepAlive(socket, [GET('/tls')]);
    const body = report(response!.body);
    expect(body.client).toEqual({ address: client.address, port: client.port });
    expect(body.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it('TLS: a plain request on a PROXY + TLS listener after a valid header fails the handshake only', async () => {
    const log = errorLog();
    const { port } = await startHttps({ handler: app, proxyProtocol: true, onError: log.hook });
    const socket = await plainConnect(port);
    socket.write(serializeProxyV1(client, proxyFront) + GET('/'));
    await receiveAll(socket);
    await log.waitFor(1);
    expect(log.errors[0]!.name).toBe('TlsHandshakeError');
  });

  it('close() destroys connections still waiting for their header at once', async () => {
    const server = new TcpServer({ handler: () => undefined, proxyProtocol: { timeoutMs: 60_000 } });
    const { port } = await started(server);
    const socket = await plainConnect(port);
    socket.write('PROXY TCP4');
    await waitFor(() => server.closing === false, 1_000, 'server up');
    const closing = server.close({ deadlineMs: 10_000 });
    await within(closing, 2_000, 'close() without waiting for the header timeout');
    await receiveAll(socket, 2_000);
  });

  it('close() closes at once a connection that sent its header and no request yet', async () => {
    const { server, port } = await startHttp({ handler: app, proxyProtocol: true });
    const socket = await plainConnect(port);
    socket.write(serializeProxyV1(client, proxyFront));
    await waitFor(() => server.tcp.connections.size === 1, 2_000, 'the connection to be handed over');
    await within(server.close({ deadlineMs: 10_000 }), 2_000, 'close() without waiting for the deadline');
    await receiveAll(socket, 2_000);
  });

  it('a bad proxyProtocol option fails at construction', () => {
    expect(() => new TcpServer({ handler: () => undefined, proxyProtocol: { trusted: ['nope'] } })).toThrow(RangeError);
    expect(() => new TcpServer({ handler: () => undefined, proxyProtocol: { timeoutMs: 0 } })).toThrow(RangeError);
  });
});

/** A handler answering what the request says about who is talking. */
const whoHandler: Handler = (request, response) => {
  response.setHeader('Content-Type', 'application/json');
  response.end(JSON.stringify({ client: request.client, peer: request.peer, protocol: request.protocol }));
};
interface Who {
  client: { address: string; port: number; family: string };
  peer: { address: string; port: number; family: string };
  protocol: string;
}

describe('trustProxy: request.client, peer and protocol', () => {
  async function who(options: { trustProxy?: string[]; proxyProtocol?: boolean; tls?: boolean }, prefix: string, headers: string): Promise<Who> {
    const start = options.tls === true ? startHttps : startHttp;
    const { port } = await start({ handler: whoHandler, trustProxy: options.trustProxy, proxyProtocol: options.proxyProtocol });
    const socket = options.tls === true ? await tlsConnect(port) : await plainConnect(port);
    const [response] = await exchangeKeepAlive(socket, [prefix + GET('/', headers)]);
    return JSON.parse(response!.body.toString('utf8')) as Who;
  }

  it('nothing trusted: the headers are ignored, client is the peer', async () => {
    const result = await who({}, '', 'X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n');
    expect(result.client).toEqual(result.peer);
    expect(result.peer.address).toBe('127.0.0.1');
    expect(result.protocol).toBe('http');
  });

  it('a trusted peer: client from X-Forwarded-For, protocol from X-Forwarded-Proto, peer unchanged', async () => {
    const result = await who({ trustProxy: ['127.0.0.1'] }, '', 'X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n');
    expect(result.client).toEqual({ address: '203.0.113.7', port: 0, family: 'IPv4' });
    expect(result.peer.address).toBe('127.0.0.1');
    expect(result.protocol).toBe('https');
  });

  it('a trusted peer: client and port from Forwarded', async () => {
    const result = await who({ trustProxy: ['loopback'] }, '', 'Forwarded: for="[2001:db8::7]:4711";proto=https\r\n');
    expect(result.client).toEqual({ address: '2001:db8::7', port: 4711, family: 'IPv6' });
    expect(result.protocol).toBe('https');
  });

  it('a peer outside the list: the headers are ignored', async () => {
    const result = await who({ trustProxy: ['10.0.0.0/8'] }, '', 'X-Forwarded-For: 203.0.113.7\r\n');
    expect(result.client.address).toBe('127.0.0.1');
  });

  it('a malformed header from a trusted peer leaves the peer as the client, and the request is served', async () => {
    const result = await who({ trustProxy: ['127.0.0.1'] }, '', 'X-Forwarded-For: not-an-address\r\nForwarded: for=\r\n');
    expect(result.client.address).toBe('127.0.0.1');
  });

  it('TLS: protocol is https, unless a trusted proxy says the client came over http', async () => {
    expect((await who({ tls: true }, '', '')).protocol).toBe('https');
    expect((await who({ tls: true }, '', 'X-Forwarded-Proto: http\r\n')).protocol).toBe('https');
    expect((await who({ tls: true, trustProxy: ['127.0.0.1'] }, '', 'X-Forwarded-Proto: http\r\n')).protocol).toBe('http');
  });

  it('with the PROXY protocol, the peer is the header’s source and trust is decided on it', async () => {
    const header = serializeProxyV1({ address: '10.0.0.5', port: 5555, family: 'IPv4' }, proxyFront);
    const trusted = await who({ proxyProtocol: true, trustProxy: ['10.0.0.0/8'] }, header, 'X-Forwarded-For: 203.0.113.7\r\n');
    expect(trusted.peer).toEqual({ address: '10.0.0.5', port: 5555, family: 'IPv4' });
    expect(trusted.client.address).toBe('203.0.113.7');
    const untrusted = await who({ proxyProtocol: true, trustProxy: ['127.0.0.1'] }, header, 'X-Forwarded-For: 203.0.113.7\r\n');
    expect(untrusted.client.address).toBe('10.0.0.5');
  });

  it('the echo app’s client is the forwarded client behind a trusted proxy', async () => {
    const { port } = await startHttp({ handler: app, trustProxy: ['127.0.0.1'] });
    const socket = await plainConnect(port);
    const [response] = await exchangeKeepAlive(socket, [GET('/', 'X-Forwarded-For: 203.0.113.7\r\n')]);
    expect(report(response!.body).client).toEqual({ address: '203.0.113.7', port: 0 });
  });

  it('a bad trustProxy entry fails at construction', () => {
    expect(() => new HttpServer({ handler: app, trustProxy: ['10.0.0.0/40'] })).toThrow(RangeError);
  });
});
