/**
 * One server of the TLS benchmark, run in its own process:
 *
 *   SEAL_TLS_CERT=PEM SEAL_TLS_KEY=PEM node bench/lib/tls-servers.js seal|node-https|raw-tls
 *
 * It listens on 127.0.0.1, port 0, over TLS with the certificate and key of its environment (the
 * benchmark makes one with `generateCertificate()` and gives the same to every server), and prints
 * `listening on https://127.0.0.1:PORT`. Every server answers every GET with the hello-world
 * response of bench/lib/load-servers.js (`200`, `Content-Type: text/plain;charset=utf-8`,
 * `Content-Length: 13`, a `Date`, `Hello, World!`):
 *
 * - `seal`: dist/tls/https.js's HttpsServer with dist/apps/hello.js's `hello` handler;
 * - `node-https`: node:https with the same fields (node adds `Date` itself);
 * - `raw-tls`: tls.createServer answering each `\r\n\r\n` with a canned response, one write per
 *   chunk: no parsing, no handler, the ceiling a JS server on a TLSSocket can reach. It knows no
 *   bodies and no `Connection: close`, so it only takes part in the keep-alive scenario.
 *
 * Like bench/lib/load-servers.js, with an IPC channel the message `'stats'` is answered with
 * `{ requests, cpu }` (requests answered so far, `process.cpuUsage()`), and the process exits
 * when the channel closes.
 */
import https from 'node:https';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { launchServerProcess, serveProcess } from './launch.js';

export const TLS_SERVER_NAMES = ['seal', 'node-https', 'raw-tls'];
export const TLS_SERVER_LABELS = { seal: 'Seal', 'node-https': 'node:https', 'raw-tls': 'raw tls' };

const HELLO = 'Hello, World!';
let answered = 0;

function credentials() {
  const cert = process.env.SEAL_TLS_CERT;
  const key = process.env.SEAL_TLS_KEY;
  if (!cert || !key) throw new Error('SEAL_TLS_CERT and SEAL_TLS_KEY must hold the PEM certificate and key');
  return { cert, key };
}

async function startSeal() {
  const dist = new URL('../../dist/', import.meta.url);
  const { HttpsServer } = await import(new URL('tls/https.js', dist).href);
  const { hello } = await import(new URL('apps/hello.js', dist).href);
  const handler = (request, response) => {
    answered++;
    return hello(request, response);
  };
  const server = new HttpsServer({ host: '127.0.0.1', port: 0, handler, onError() {}, ...credentials() });
  await server.listen();
  return server.address.port;
}

async function startNodeHttps() {
  const server = https.createServer(credentials(), (req, res) => {
    answered++;
    res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8', 'Content-Length': '13' });
    res.end(HELLO);
  });
  return listen(server);
}

// --- the raw ceiling ---------------------------------------------------------------------------------

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_CARRY = 16 * 1024;
let canned = Buffer.alloc(0);

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
}

function onSecureConnection(socket) {
  let carry = null;
  socket.on('data', (chunk) => {
    let buf = chunk;
    if (carry !== null) {
      buf = Buffer.concat([carry, chunk]);
      carry = null;
    }
    let pos = 0;
    let count = 0;
    for (;;) {
      const headEnd = buf.indexOf(HEAD_END, pos);
      if (headEnd === -1) break;
      count++;
      pos = headEnd + 4;
    }
    if (pos < buf.length) {
      if (buf.length - pos > MAX_CARRY) return socket.destroy();
      carry = buf.subarray(pos);
    }
    if (count === 0) return;
    answered += count;
    socket.write(count === 1 ? canned : Buffer.concat(Array(count).fill(canned)));
  });
  socket.on('error', () => {});
}

async function startRawTls() {
  buildCanned();
  setInterval(buildCanned, 1000).unref();
  return listen(tls.createServer(credentials(), onSecureConnection));
}

function listen(server) {
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

// --- the parent's side -----------------------------------------------------------------------------

/**
 * Starts TLS server `name` in a child process, pinned to `cpu` when given, with the PEM `cert` and
 * `key`; resolves once it listens, with the same shape as load-servers.js's `launchServer`.
 * @returns {Promise<import('./launch.js').ServerProcess>}
 */
export function launchTlsServer(name, { cpu, cert, key }) {
  const env = { ...process.env, SEAL_TLS_CERT: cert, SEAL_TLS_KEY: key };
  return launchServerProcess(fileURLToPath(import.meta.url), name, { cpu, env });
}

// --- the process ------------------------------------------------------------------------------------

const STARTERS = { seal: startSeal, 'node-https': startNodeHttps, 'raw-tls': startRawTls };

if (process.argv[1] === fileURLToPath(import.meta.url)) await serveProcess('bench/lib/tls-servers.js', STARTERS, () => answered, 'https');
