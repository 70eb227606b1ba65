/**
 * The well-behaved clients of the reliability benchmark: one keep-alive connection asking for
 * `/` again and again for a while, as wrk (`/usr/bin/wrk`, one thread, one connection) or as a
 * loop in this process when wrk is missing, and the figure they give: requests per second.
 */
import { spawn, spawnSync } from 'node:child_process';
import { ClientConnection, getRequest } from './reliability-http.js';

/** Whether wrk can be run here. */
export function haveWrk() {
  return spawnSync('wrk', ['-v']).error === undefined;
}

/**
 * @typedef {{ via: 'wrk' | 'node', requests: number, seconds: number, rate: number, errors: number }} ClientRun
 */

/**
 * wrk, one thread, one connection, for `seconds`, pinned to `cpu` when given. Its errors (socket
 * errors and non-2xx answers) are summed in `errors`.
 * @returns {Promise<ClientRun>}
 */
export function runWrkClient(port, seconds, cpu) {
  const wrk = ['wrk', '-t1', '-c1', `-d${seconds}s`, '--timeout', '5s', `http://127.0.0.1:${port}/`];
  const [command, ...args] = cpu === undefined ? wrk : ['taskset', '-c', cpu, ...wrk];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.stdout.setEncoding('utf8').on('data', (text) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const requests = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
      if (code !== 0 || requests === null) return reject(new Error(`wrk failed (${code}): ${out.slice(0, 400)}`));
      const took = Number(requests[2]) / (requests[3] === 'ms' ? 1000 : 1);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const errors = non2xx + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((a, b) => a + Number(b), 0));
      resolve({ via: 'wrk', requests: Number(requests[1]), seconds: took, rate: Number(requests[1]) / took, errors });
    });
  });
}

/**
 * The same in this process: one keep-alive connection, one GET at a time, for `seconds`. A failed
 * request counts as an error and the loop goes on over a new connection.
 * @returns {Promise<ClientRun>}
 */
export async function runNodeClient(port, seconds) {
  const request = getRequest('/');
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let conn = null;
  while (performance.now() < deadline) {
    try {
      conn ??= await ClientConnection.connect(port);
      const [response] = await conn.request(request);
      if (response.status === 200) requests++;
      else errors++;
    } catch {
      errors++;
      conn?.destroy();
      conn = null;
    }
  }
  const took = (performance.now() - started) / 1000;
  await conn?.end();
  return { via: 'node', requests, seconds: took, rate: requests / took, errors };
}

/** wrk (pinned to `cpu` when given) when it is installed and `preferWrk`, else the loop in this process. */
export function runNormalClient(port, seconds, preferWrk, cpu) {
  return preferWrk && haveWrk() ? runWrkClient(port, seconds, cpu) : runNodeClient(port, seconds);
}
