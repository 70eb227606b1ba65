/**
 * Starts a benchmark server in a child process: `script name` run by node, pinned to a core with
 * taskset when asked, with an IPC channel for its counters. Resolves once the child prints
 * `listening on http(s)://…`. Every server module of the load benchmarks launches through this.
 */
import { spawn } from 'node:child_process';

/** How long a server may take to print its listening line. */
const START_TIMEOUT_MS = 10_000;

/**
 * @typedef {{ requests: number, cpuUs: number, minorFaults: number }} ServerStats
 * @typedef {{ name: string, url: string, pid: number, stats(): Promise<ServerStats>,
 *   stop(): Promise<void> }} ServerProcess
 */

/**
 * @param {string} script  the server module's file (it picks its server by `name`)
 * @param {string} name
 * @param {{ cpu?: string, nodeArgs?: string[], env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<ServerProcess>}
 */
export function launchServerProcess(script, name, { cpu, nodeArgs = [], env } = {}) {
  const node = [process.execPath, ...nodeArgs, script, name];
  // taskset execs node, so the child's pid is the server's: the IPC channel passes through.
  const [command, args] = cpu === undefined ? [node[0], node.slice(1)] : ['taskset', ['-c', cpu, ...node]];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: env ?? process.env });
  const stats = () =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${name} server is gone`));
      child.once('message', (m) => resolve({ requests: m.requests, cpuUs: m.cpu.user + m.cpu.system, minorFaults: m.minorFaults }));
      child.send('stats');
    });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return listeningUrl(child, `${name} server`, stop).then((url) => ({ name, url, pid: child.pid, stats, stop }));
}

/**
 * The address of the first `listening on http(s)://…` line a server process prints on stdout.
 * Rejects if it fails to start, exits first, or says nothing within START_TIMEOUT_MS (then it is
 * stopped with `stop`). After the line, stdout is drained unread, so the child never blocks on it.
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} what  the process, for error messages ("seal server")
 * @param {() => Promise<void>} stop
 * @returns {Promise<string>}
 */
export function listeningUrl(child, what, stop) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before listening`));
    });
    const stdout = child.stdout;
    if (stdout === null) throw new TypeError(`${what}: stdout must be a pipe`);
    stdout.setEncoding('utf8').on('data', function onData(text) {
      out += text;
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      stdout.off('data', onData);
      stdout.resume();
      resolve(match[1]);
    });
  });
}

/**
 * The server process's side of launchServerProcess: starts the server `process.argv[2]` names
 * (one of `starters`, each resolving with its port), answers `'stats'` over the IPC channel with
 * `{ requests: answered(), cpu, minorFaults }`, exits on SIGTERM/SIGINT (a normal exit, so that --cpu-prof
 * writes its profile) or when the channel closes, and prints its `listening on` line.
 * @param {string} script  the module, for the usage line
 * @param {Record<string, () => Promise<number>>} starters
 * @param {() => number} answered  requests answered so far
 * @param {'http' | 'https'} [scheme]
 */
export async function serveProcess(script, starters, answered, scheme = 'http') {
  const name = process.argv[2];
  const start = starters[name];
  if (start === undefined) {
    console.error(`usage: node ${script} ${Object.keys(starters).join('|')}`);
    process.exit(2);
  }
  const port = await start();
  if (process.send !== undefined) {
    process.on('message', (message) => {
      if (message === 'stats') {
        process.send({ requests: answered(), cpu: process.cpuUsage(), minorFaults: process.resourceUsage().minorPageFault });
      }
    });
    process.on('disconnect', () => process.exit(0));
  }
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  console.log(`listening on ${scheme}://127.0.0.1:${port}`);
}
