/**
 * One server of the fetch benchmark, run in its own process:
 *
 *   node bench/lib/fetch-servers.js seal|hono-node|seal-plain
 *
 * `seal` and `hono-node` serve the Hono app of fetch-app.js: through Seal's `toHandler` (dist/,
 * built by `npm run build`) and through `@hono/node-server` (node:http underneath), each with its
 * defaults. `seal-plain` sends the same responses from a plain Seal handler (the reference). It listens on 127.0.0.1, port 0, and prints `listening on http://127.0.0.1:PORT`.
 *
 * Over the IPC channel (bench/fetch.js opens one) the message `'stats'` is answered with
 * `{ requests, cpu }`: requests the app answered so far and `process.cpuUsage()`. The process
 * exits when the channel closes.
 */
import { fileURLToPath } from 'node:url';
import { helloApp } from './fetch-app.js';
import { launchServerProcess, serveProcess } from './launch.js';

export const SERVER_NAMES = ['seal', 'hono-node'];
/** `--reference`: Seal answering the same bytes with a plain handler, no Hono, no adapter. */
export const REFERENCE = 'seal-plain';
export const SERVER_LABELS = { seal: 'Seal + toHandler', 'hono-node': '@hono/node-server', [REFERENCE]: 'Seal, no Hono' };

let answered = 0;

/** The app, with a counter in front of it (a plain function call on both servers). */
function countedApp() {
  const app = helloApp();
  const fetch = app.fetch;
  return (request, ...rest) => {
    answered++;
    return fetch(request, ...rest);
  };
}

async function startSeal() {
  const dist = new URL('../../dist/', import.meta.url);
  const { serveFetch } = await import(new URL('adapters/index.js', dist).href);
  const server = await serveFetch({ host: '127.0.0.1', port: 0, fetch: countedApp(), onError() {} });
  return server.address.port;
}

/** What Hono's c.text() sends, from a Seal handler: the cost of Seal alone, for reference. */
async function startSealPlain() {
  const { serve } = await import(new URL('../../dist/http/server.js', import.meta.url).href);
  const handler = (request, response) => {
    answered++;
    response.setHeader('content-type', 'text/plain;charset=UTF-8');
    response.end(request.path === '/' ? 'Hello, World!' : '{"id":"7"}');
  };
  const server = await serve({ host: '127.0.0.1', port: 0, handler, onError() {} });
  return server.address.port;
}

async function startHonoNode() {
  const { serve } = await import('@hono/node-server');
  return new Promise((resolve) => {
    serve({ fetch: countedApp(), hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
  });
}

/**
 * Starts server `name` in a child process pinned to `cpu` (a `taskset -c` list) when given, with
 * `nodeArgs` for node (e.g. `--cpu-prof`); resolves once it listens.
 */
export function launchServer(name, options = {}) {
  return launchServerProcess(fileURLToPath(import.meta.url), name, options);
}

const STARTERS = { seal: startSeal, 'hono-node': startHonoNode, [REFERENCE]: startSealPlain };

if (process.argv[1] === fileURLToPath(import.meta.url)) await serveProcess('bench/lib/fetch-servers.js', STARTERS, () => answered);
