#!/usr/bin/env node
/**
 * Heap bytes allocated per request: Seal's connection loop against node:http's, both fed the same
 * requests through an in-memory duplex stream (no socket, no kernel), answering with the same
 * hello-world response. Each request allocates the parser's view of it, the objects a handler
 * sees and the response's text; the less a server allocates per request, the less often the
 * young generation is collected, which on a busy core is time taken from requests.
 *
 *   npm run build && node bench/allocations.js [--quick]
 *
 * The parent runs the measurement in a child process with a young generation large enough
 * (--min-semi-space-size) that no collection runs while it counts: the figure is the growth of
 * `heapUsed` over the requests, divided by their number. A collection during a measurement (seen
 * with v8.GCProfiler) voids it, and the run is repeated with fewer requests. The
 * harness's own cost (its stream, its waiting for the answers) is measured with a transport that
 * answers by itself, and subtracted.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { Duplex } from 'node:stream';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { QUICK, formatRatio, markdownTable, printEnvironment } from './lib/harness.js';

const CHILD_FLAG = '--measure';
const SEMI_SPACE_MB = 256;
const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n';
const HELLO = 'Hello, World!';
const SCENARIOS = [
  { name: 'keep-alive', title: 'one request per chunk', perChunk: 1 },
  { name: 'pipelined', title: '16 requests per chunk', perChunk: 16 },
];
const SERVERS = ['harness', 'seal', 'node-http'];

if (!process.argv.includes(CHILD_FLAG)) {
  printEnvironment('Heap bytes allocated per request: seal vs node:http');
  const args = [
    '--expose-gc',
    `--min-semi-space-size=${SEMI_SPACE_MB}`,
    `--max-semi-space-size=${SEMI_SPACE_MB}`,
    fileURLToPath(import.meta.url),
    CHILD_FLAG,
    ...process.argv.slice(2),
  ];
  const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(status ?? 1);
}

// --- the child: the measurement --------------------------------------------------------------

// Only the child loads Seal's dist/: the parent just spawns it.
const { giveLoopbackAddresses, serveHelloOn } = await import('./lib/in-process.js');

/**
 * A socket made of memory: `deliver()` hands the server a chunk, as a read would; what the server
 * writes is counted, and `until(n)` resolves once n bytes have come out.
 */
class MemorySocket extends Duplex {
  constructor() {
    // Strings reach _write as they are, as on a net.Socket (which hands them to libuv unencoded).
    super({ allowHalfOpen: true, decodeStrings: false });
    this.written = 0;
    this.target = 0;
    /** @type {(() => void) | null} */
    this.wake = null;
    giveLoopbackAddresses(this);
  }
  _read() {}
  _write(chunk, encoding, callback) {
    this.count(typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length);
    callback();
  }
  _writev(chunks, callback) {
    for (const { chunk, encoding } of chunks) this.count(typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length);
    callback();
  }
  count(n) {
    this.written += n;
    if (this.wake !== null && this.written >= this.target) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }
  deliver(chunk) {
    this.push(chunk);
  }
  until(bytes) {
    this.target = bytes;
    if (this.written >= bytes) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
  setTimeout() {
    return this;
  }
}

/**
 * The harness alone: a socket that answers each request itself, with the same response, in the
 * check phase of the event loop's turn, where Seal's connection loop writes its answers (see
 * src/http/output.ts): the harness's waiting across a turn is then its own, not the server's.
 */
class CannedSocket extends MemorySocket {
  constructor(response) {
    super();
    this.response = response;
  }
  deliver(chunk) {
    // Count what a server would answer, without a server.
    let n = 0;
    for (let at = chunk.indexOf('\r\n\r\n'); at !== -1; at = chunk.indexOf('\r\n\r\n', at + 4)) n++;
    setImmediate(() => {
      for (let i = 0; i < n; i++) this.write(this.response);
    });
  }
}

/** node:http's server on a MemorySocket, as its listener would run it on an accepted socket. */
function nodeHttpOn(socket) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8', 'Content-Length': '13' });
    res.end(HELLO);
  });
  server.emit('connection', socket);
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Bytes of one response from `start`'s server (they differ: node adds its keep-alive fields). */
async function responseBytes(start) {
  const socket = new MemorySocket();
  start(socket);
  socket.deliver(Buffer.from(REQUEST));
  for (let i = 0; i < 10; i++) await settle();
  return socket.written;
}

/**
 * Heap bytes per request over `chunks` chunks of `perChunk` requests each, after a warm-up on the
 * same socket; null when a collection ran during the count.
 */
async function measureOnce(server, perChunk, chunks) {
  const start = server === 'seal' ? serveHelloOn : nodeHttpOn;
  const bytesPerResponse = await responseBytes(server === 'harness' ? serveHelloOn : start);
  const socket = server === 'harness' ? new CannedSocket(Buffer.alloc(bytesPerResponse, 'x')) : new MemorySocket();
  if (server !== 'harness') start(socket);
  const text = REQUEST.repeat(perChunk);
  const round = async (n) => {
    for (let i = 0; i < n; i++) {
      const answered = socket.written + perChunk * bytesPerResponse;
      // A fresh Buffer a chunk, as each socket read makes one.
      socket.deliver(Buffer.from(text, 'latin1'));
      await socket.until(answered);
    }
  };
  await round(Math.min(chunks, 2000));
  await settle();
  gc();
  await settle();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  await round(chunks);
  const after = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  if (statistics.length > 0) return null;
  return (after - before) / (chunks * perChunk);
}

async function measure(server, perChunk) {
  let chunks = (QUICK ? 4_000 : 40_000) / perChunk;
  for (let attempt = 0; attempt < 6; attempt++) {
    const perRequest = await measureOnce(server, perChunk, Math.max(50, Math.round(chunks)));
    if (perRequest !== null) return perRequest;
    chunks /= 2;
  }
  throw new Error(`${server}: a collection ran during every attempt`);
}

const rows = [];
for (const scenario of SCENARIOS) {
  const result = {};
  for (const server of SERVERS) result[server] = await measure(server, scenario.perChunk);
  const seal = result.seal - result.harness;
  const node = result['node-http'] - result.harness;
  console.log(`${scenario.name} (${scenario.title})`);
  console.log(`  harness alone   ${result.harness.toFixed(0).padStart(6)} B/request (subtracted below)`);
  console.log(`  seal            ${seal.toFixed(0).padStart(6)} B/request`);
  console.log(`  node:http       ${node.toFixed(0).padStart(6)} B/request`);
  console.log(`  seal/node:http  ${formatRatio(seal, node)}\n`);
  rows.push([scenario.name, scenario.title, seal.toFixed(0), node.toFixed(0), formatRatio(seal, node)]);
}
console.log(markdownTable(['scenario', 'chunks', 'seal B/request', 'node:http B/request', 'seal/node:http'], rows));
process.exit(0);
