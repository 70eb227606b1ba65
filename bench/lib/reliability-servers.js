/**
 * The servers of the reliability benchmark (bench/reliability.js), each run in its own process:
 *
 *   node [--expose-gc] bench/lib/reliability-servers.js seal|node-http|seal-echo [OPTIONS-JSON]
 *
 * - `seal`: Seal's HttpServer with the `hello` app, from dist/ (`npm run build` first).
 * - `node-http`: node:http answering the same hello-world response.
 * - `seal-echo`: Seal's HttpServer with the `echo` app, as `seal serve --app echo` runs it.
 *
 * OPTIONS-JSON (all optional): `keepAliveTimeoutMs`, `headersTimeoutMs`, `requestTimeoutMs`,
 * `maxConnections` (applied to node:http too, as `keepAliveTimeout`, `headersTimeout`,
 * `requestTimeout`, `maxConnections`), and `delayMs`: the hello handler answers that long after
 * it saw the request (so that requests are in flight when the server is closed).
 *
 * It listens on 127.0.0.1, port 0, prints `listening on http://127.0.0.1:PORT`, and answers
 * messages on its IPC channel, each `{ id, type }` answered with `{ id, ... }`:
 * - `memory`: `process.memoryUsage()` fields, after three forced collections when started with
 *   `--expose-gc` (`gc: true` in the answer says whether they ran);
 * - `stats`: `{ seen, answered, errors }`: requests the handler saw, responses it ended, and the
 *   errors Seal reported to `onError`, counted by code;
 * - `close`: closes the server gracefully (Seal's `close()`, node's `close()` and
 *   `closeIdleConnections()`), answered when it resolved, with `{ seen, answered, closeMs }`.
 * The process exits when the channel closes, or on SIGTERM/SIGINT.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { listeningUrl } from './launch.js';

export const SERVER_NAMES = ['seal', 'node-http', 'seal-echo'];

/** How long a server may take to answer a message (a forced GC of a large heap included). */
const REPLY_TIMEOUT_MS = 30_000;
/** How long a server may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

const HELLO = 'Hello, World!';

/** Requests the handler saw, and responses it ended. */
let seen = 0;
let answered = 0;
/** Errors Seal reported to `onError`, by code (`code` of a SealError, else the class name). */
const errors = {};
function countError(error) {
  const code = error.code ?? error.constructor?.name ?? 'Error';
  errors[code] = (errors[code] ?? 0) + 1;
}

// --- the servers ---------------------------------------------------------------------------------

const dist = new URL('../../dist/', import.meta.url);

/** Seal options from OPTIONS-JSON; absent ones keep Seal's defaults. */
function sealOptions(options) {
  const picked = {};
  for (const key of ['keepAliveTimeoutMs', 'headersTimeoutMs', 'requestTimeoutMs', 'maxConnections']) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked;
}

/** @returns {Promise<{ port: number, close(): Promise<void> }>} */
async function startSeal(options) {
  const { serve } = await import(new URL('http/server.js', dist).href);
  const { hello } = await import(new URL('apps/hello.js', dist).href);
  const delayMs = options.delayMs ?? 0;
  const handler = (request, response) => {
    seen++;
    if (delayMs === 0) {
      hello(request, response);
      answered++;
      return undefined;
    }
    return new Promise((resolve) =>
      setTimeout(() => {
        hello(request, response);
        answered++;
        resolve();
      }, delayMs),
    );
  };
  const server = await serve({ host: '127.0.0.1', port: 0, handler, onError: countError, ...sealOptions(options) });
  return { port: server.address.port, close: () => server.close() };
}

async function startSealEcho(options) {
  const { serve } = await import(new URL('http/server.js', dist).href);
  const { echo } = await import(new URL('apps/echo.js', dist).href);
  const app = echo({ maxBodyBytes: 10 * 1024 * 1024 });
  const handler = async (request, response) => {
    seen++;
    await app(request, response);
    answered++;
  };
  const server = await serve({ host: '127.0.0.1', port: 0, handler, onError: countError, ...sealOptions(options) });
  return { port: server.address.port, close: () => server.close() };
}

/** node:http with the same response; node adds `Date` and its keep-alive fields itself. */
async function startNodeHttp(options) {
  const delayMs = options.delayMs ?? 0;
  const answer = (res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8', 'Content-Length': '13' });
    res.end(HELLO);
    answered++;
  };
  const server = http.createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => (delayMs === 0 ? answer(res) : setTimeout(() => answer(res), delayMs)));
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  if (options.headersTimeoutMs !== undefined) server.headersTimeout = options.headersTimeoutMs;
  // node:http requires requestTimeout ≥ headersTimeout (0 turns it off).
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  return { port: server.address().port, close };
}

const STARTERS = { seal: startSeal, 'node-http': startNodeHttp, 'seal-echo': startSealEcho };

/** Three full collections: one can leave garbage that only a later one frees (weak refs, finalizers). */
function collect() {
  if (typeof globalThis.gc !== 'function') return false;
  for (let i = 0; i < 3; i++) globalThis.gc();
  return true;
}

async function main() {
  const name = process.argv[2];
  const start = STARTERS[name];
  if (start === undefined) {
    console.error(`usage: node bench/lib/reliability-servers.js ${SERVER_NAMES.join('|')} [OPTIONS-JSON]`);
    process.exit(2);
  }
  const options = process.argv[3] === undefined ? {} : JSON.parse(process.argv[3]);
  const server = await start(options);
  if (process.send !== undefined) {
    process.on('message', (message) => {
      const { id, type } = message;
      if (type === 'memory') {
        const gc = collect();
        process.send({ id, gc, ...process.memoryUsage() });
      } else if (type === 'stats') {
        process.send({ id, seen, answered, errors });
      } else if (type === 'close') {
        const started = performance.now();
        void server.close().then(() => process.send({ id, seen, answered, closeMs: performance.now() - started }));
      }
    });
    process.on('disconnect', () => process.exit(0));
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  console.log(`listening on http://127.0.0.1:${server.port}`);
}

// --- the parent's side ---------------------------------------------------------------------------

/**
 * @typedef {{ name: string, port: number, pid: number,
 *   ask(type: 'memory' | 'stats' | 'close'): Promise<Record<string, number | boolean>>,
 *   exited: Promise<void>, stop(): Promise<void> }} ReliabilityServer
 */

/**
 * Starts server `name` in a child process with `options` (see above) and `nodeArgs` given to node
 * (`--expose-gc` for the memory figures), pinned to `cpu` (a `taskset -c` list) when given;
 * resolves once it listens.
 * @param {string} name
 * @param {{ options?: object, nodeArgs?: string[], cpu?: string }} [settings]
 * @returns {Promise<ReliabilityServer>}
 */
export function launchReliabilityServer(name, { options = {}, nodeArgs = [], cpu } = {}) {
  const node = [process.execPath, ...nodeArgs, fileURLToPath(import.meta.url), name, JSON.stringify(options)];
  // taskset execs node, so the child's pid is the server's: the IPC channel passes through.
  const [command, args] = cpu === undefined ? [node[0], node.slice(1)] : ['taskset', ['-c', cpu, ...node]];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let nextId = 1;
  const ask = (type) =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${name} server is gone`));
      const id = nextId++;
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${name} server did not answer "${type}" within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      const onMessage = (message) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ id, type });
    });
  const stop = async () => {
    if (gone()) return;
    child.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return listeningUrl(child, `${name} server`, stop).then((url) => ({ name, port: Number(new URL(url).port), pid: child.pid, ask, exited, stop }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
