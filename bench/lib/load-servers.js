/**
 * One server of the load benchmark, run in its own process:
 *
 *   node bench/lib/load-servers.js seal|node-http|raw
 *
 * It listens on 127.0.0.1, port 0, and prints `listening on http://127.0.0.1:PORT` (the line the
 * `seal` command prints). Every server gives every request the same hello-world response
 * (`200`, `Content-Type: text/plain;charset=utf-8`, `Content-Length: 13`, a `Date`,
 * `Hello, World!`), and reads a request's whole body before answering it.
 *
 * When started with an IPC channel (as bench/load.js does), the message `'stats'` is answered
 * with `{ requests, cpu }`: requests answered so far and `process.cpuUsage()` (µs, all threads),
 * so the benchmark can charge CPU time to requests. The process exits when the channel closes.
 */
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { launchServerProcess, serveProcess } from './launch.js';

export const SERVER_NAMES = ['seal', 'node-http', 'raw'];

const HELLO = 'Hello, World!';

/** Requests answered; read through the IPC side channel. */
let answered = 0;

/** Reads a Seal request's body to its end, as node:http's handler does: chunk by chunk, no copy. */
async function drain(request) {
  for await (const _chunk of request.body);
}

/**
 * Seal with the `hello` app, as `seal serve --app hello` runs it (errors not logged). A body is
 * drained by iterating `request.body`, the same work node:http's 'data' listener does;
 * `request.bytes()` would also join the chunks into one Buffer, a 64 KiB copy node:http is spared.
 */
async function startSeal() {
  const dist = new URL('../../dist/', import.meta.url);
  const { serve } = await import(new URL('http/server.js', dist).href);
  const { hello } = await import(new URL('apps/hello.js', dist).href);
  const handler = (request, response) => {
    answered++;
    if (request.method === 'GET') return hello(request, response);
    return drain(request).then(() => hello(request, response));
  };
  const server = await serve({ host: '127.0.0.1', port: 0, handler, onError() {} });
  return server.address.port;
}

/** node:http with the same fields; node adds `Date` (and its keep-alive fields) itself. */
async function startNodeHttp() {
  const answer = (res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8', 'Content-Length': '13' });
    res.end(HELLO);
  };
  const server = http.createServer((req, res) => {
    answered++;
    if (req.method === 'GET') return answer(res);
    req.on('data', () => {});
    req.on('end', () => answer(res));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

// --- the raw ceiling ---------------------------------------------------------------------------------

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = ['Content-Length:', 'content-length:'];
/** The longest request head the raw server carries over a chunk boundary. */
const MAX_CARRY = 16 * 1024;

/** The canned response, rebuilt once a second with a fresh Date; batches of it cached by size. */
let canned = Buffer.alloc(0);
let batches = [];

function buildCanned() {
  canned = Buffer.from(
    'HTTP/1.1 200 OK\r\n' +
      'Content-Type: text/plain;charset=utf-8\r\n' +
      `Date: ${new Date().toUTCString()}\r\n` +
      'Content-Length: 13\r\n' +
      '\r\n' +
      HELLO,
    'latin1',
  );
  batches = [];
}

/** `count` responses in one buffer, so that a chunk's requests are answered with one write. */
function responses(count) {
  if (count === 1) return canned;
  let batch = batches[count];
  if (batch === undefined) {
    batch = Buffer.allocUnsafe(canned.length * count);
    for (let i = 0; i < count; i++) canned.copy(batch, i * canned.length);
    if (count <= 64) batches[count] = batch;
  }
  return batch;
}

/** The declared body length of a head in `buf[start, end)`, found the cheapest way; 0 if none. */
function contentLength(buf, start, end) {
  for (const name of CONTENT_LENGTH) {
    const at = buf.indexOf(name, start, 'latin1');
    if (at === -1 || at >= end) continue;
    let pos = at + name.length;
    while (buf[pos] === 32 || buf[pos] === 9) pos++;
    let length = 0;
    for (; pos < end && buf[pos] >= 48 && buf[pos] <= 57; pos++) length = length * 10 + (buf[pos] - 48);
    return length;
  }
  return 0;
}

/**
 * The least a JS server on net.Socket can do: find each head's end (`\r\n\r\n`), skip a body by
 * its Content-Length (looked for only when the method is not GET or HEAD), and answer every
 * request of a chunk with one write of canned responses. No parsing, no validation, no handler.
 */
function onConnection(socket) {
  let carry = null;
  let bodyLeft = 0;
  socket.on('data', (chunk) => {
    let buf = chunk;
    if (carry !== null) {
      buf = Buffer.concat([carry, chunk]);
      carry = null;
    }
    let pos = 0;
    let count = 0;
    const end = buf.length;
    while (pos < end) {
      if (bodyLeft > 0) {
        const take = Math.min(bodyLeft, end - pos);
        bodyLeft -= take;
        pos += take;
        if (bodyLeft === 0) count++;
        continue;
      }
      // Empty lines between requests are allowed (RFC 9112 §2.2).
      if (buf[pos] === CR || buf[pos] === LF) {
        pos++;
        continue;
      }
      const headEnd = buf.indexOf(HEAD_END, pos);
      if (headEnd === -1) {
        if (end - pos > MAX_CARRY) return socket.destroy();
        carry = buf.subarray(pos);
        break;
      }
      const first = buf[pos];
      bodyLeft = first === 0x47 /* G */ || first === 0x48 /* H */ ? 0 : contentLength(buf, pos, headEnd);
      pos = headEnd + 4;
      if (bodyLeft === 0) count++;
    }
    if (count > 0) {
      answered += count;
      socket.write(responses(count));
    }
  });
  socket.on('error', () => {});
}

/**
 * The raw ceiling's per-connection handler, for a suite that drives sockets of its own
 * (bench/request-path.js); its canned response is built once, with this second's Date.
 */
export function rawConnectionHandler() {
  buildCanned();
  return onConnection;
}

async function startRaw() {
  const server = net.createServer({ noDelay: true }, rawConnectionHandler());
  setInterval(buildCanned, 1000).unref();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server.address().port;
}

// --- the parent's side -----------------------------------------------------------------------------

/**
 * Starts server `name` in a child process, pinned to `cpu` (a `taskset -c` list) when given, with
 * `nodeArgs` given to node (e.g. `--cpu-prof`), and resolves once it listens.
 */
export function launchServer(name, options = {}) {
  return launchServerProcess(fileURLToPath(import.meta.url), name, options);
}

// --- the process ------------------------------------------------------------------------------------

const STARTERS = { seal: startSeal, 'node-http': startNodeHttp, raw: startRaw };

if (process.argv[1] === fileURLToPath(import.meta.url)) await serveProcess('bench/lib/load-servers.js', STARTERS, () => answered);
