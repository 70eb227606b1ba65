/**
 * Runs the real `seal` command (`node dist/cli.js`, built by `npm run build`) as a child process
 * for end-to-end tests, and talks to it over raw loopback sockets. Every wait is bounded, so a
 * hung server fails a test instead of hanging the run; `killAllSeals()` (call it in afterEach)
 * kills whatever is still running, also when a test failed half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { sleep, waitFor, within } from './waits.js';

export { sleep, waitFor, within };

/** The repository root and the built command. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** How long a server may take to print its `listening on` line. */
export const START_TIMEOUT_MS = 10_000;
/** How long a server may take to exit after a signal (or a bad command line to exit). */
export const STOP_TIMEOUT_MS = 5_000;

const LISTENING_LINES = /^listening on (https?):\/\/127\.0\.0\.1:([0-9]+)$/gm;

/** The ports of the `listening on` lines printed so far, by scheme. */
function listeners(stdout: string): { http?: number; https?: number; count: number } {
  const found: { http?: number; https?: number; count: number } = { count: 0 };
  for (const match of stdout.matchAll(LISTENING_LINES)) {
    found[match[1] as 'http' | 'https'] = Number(match[2]);
    found.count++;
  }
  return found;
}

export interface ExitStatus {
  /** The exit code; null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SealProcess {
  readonly child: ChildProcess;
  /** The port of the plain HTTP listener, as printed on the `listening on` line (NaN with --port none). */
  readonly port: number;
  /** The port of the HTTPS listener (NaN without --tls-port). */
  readonly tlsPort: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Waits (bounded) until stdout satisfies `condition`, and returns stdout. */
  waitForStdout(condition: (stdout: string) => boolean, what: string, ms?: number): Promise<string>;
  /**
   * Sends `signal` and waits (bounded) for the process to exit; returns its exit code (null
   * when it died of a signal). On timeout the process is killed with SIGKILL and this throws.
   */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
}

export interface SealRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
const sockets = new Set<net.Socket>();

function ensureBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (or \`npx tsc -p tsconfig.json\`) first`);
}

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<ExitStatus>;
}

function spawnCli(args: readonly string[]): Spawned {
  ensureBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => (out += text));
  child.stderr?.on('data', (text: string) => (err += text));
  // 'close' rather than 'exit': by then stdout and stderr have been read to their end.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      running.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Whether the child is still running (has not exited and was not reaped). */
function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export interface StartOptions {
  /** Add `--quiet` (default true: most tests do not want per-request reports). */
  quiet?: boolean;
  /** Add `--port 0` (default true). */
  port0?: boolean;
  /** Add `--tls-port 0` (default false). */
  tlsPort0?: boolean;
}

/**
 * Starts `node dist/cli.js serve ...args --port 0 [--quiet]` and waits (bounded) for its
 * `listening on http://127.0.0.1:PORT` line.
 */
export async function startSeal(args: readonly string[] = [], options: StartOptions = {}): Promise<SealProcess> {
  const full = ['serve', ...args];
  if (options.port0 ?? true) full.push('--port', '0');
  if (options.quiet ?? true) full.push('--quiet');
  if (options.tlsPort0 ?? false) full.push('--tls-port', '0');
  const plain = !full.some((arg, i) => arg === '--port' && full[i + 1] === 'none');
  const expected = (plain ? 1 : 0) + (full.includes('--tls-port') ? 1 : 0);
  const spawned = spawnCli(full);
  const { child, stdout, stderr, exited } = spawned;

  let early: ExitStatus | undefined;
  void exited.then((status) => (early = status));
  try {
    await waitFor(() => listeners(stdout()).count >= expected || early !== undefined, START_TIMEOUT_MS, `seal ${full.join(' ')} to listen`);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\nstdout: ${stdout()}\nstderr: ${stderr()}`);
  }
  const bound = listeners(stdout());
  if (bound.count < expected) {
    throw new Error(`seal ${full.join(' ')} exited (${JSON.stringify(early)}) before listening\nstdout: ${stdout()}\nstderr: ${stderr()}`);
  }
  const port = bound.http ?? Number.NaN;
  const tlsPort = bound.https ?? Number.NaN;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = STOP_TIMEOUT_MS): Promise<number | null> => {
    if (alive(child)) child.kill(signal);
    try {
      const status = await within(exited, ms, `seal to exit after ${signal}`);
      return status.code;
    } catch (error) {
      child.kill('SIGKILL');
      await within(exited, STOP_TIMEOUT_MS, 'seal to die after SIGKILL').catch(() => undefined);
      throw new Error(`${(error as Error).message}; killed it with SIGKILL\nstdout: ${stdout()}\nstderr: ${stderr()}`);
    }
  };

  const waitForStdout = async (condition: (text: string) => boolean, what: string, ms = STOP_TIMEOUT_MS): Promise<string> => {
    try {
      await waitFor(() => condition(stdout()), ms, what);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nstdout: ${stdout()}\nstderr: ${stderr()}`);
    }
    return stdout();
  };

  return { child, port, tlsPort, stdout, stderr, exited, waitForStdout, stop };
}

/**
 * Runs `node dist/cli.js ...args` (no `serve` or options added) to its exit, bounded; for command
 * lines that must be refused. A process still running at the deadline is killed and this throws.
 */
export async function runSeal(args: readonly string[], ms = START_TIMEOUT_MS): Promise<SealRun> {
  const { child, stdout, stderr, exited } = spawnCli(args);
  try {
    const status = await within(exited, ms, `seal ${args.join(' ')} to exit`);
    return { ...status, stdout: stdout(), stderr: stderr() };
  } catch (error) {
    child.kill('SIGKILL');
    await within(exited, STOP_TIMEOUT_MS, 'seal to die after SIGKILL').catch(() => undefined);
    throw new Error(`${(error as Error).message}; killed it with SIGKILL\nstdout: ${stdout()}\nstderr: ${stderr()}`);
  }
}

/**
 * Runs `seal serve --port 0 ...args` and checks it is refused as a usage error: exit status 2,
 * nothing on stdout, `message` as the first line on stderr and a usage hint after it.
 */
export async function expectUsageRefusal(args: readonly string[], message: RegExp): Promise<void> {
  const run = await runSeal(['serve', '--port', '0', ...args]);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const [first, ...rest] = run.stderr.trimEnd().split('\n');
  expect(first).toMatch(message);
  expect(rest[0]).toMatch(/^usage: seal serve/);
}

/** For afterEach: destroys every client socket and SIGKILLs every seal process still running. */
export async function killAllSeals(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  const children = [...running];
  await Promise.all(
    children.map(async (child) => {
      const gone = new Promise<void>((resolve) => {
        if (!alive(child)) return resolve();
        child.once('exit', () => resolve());
      });
      if (alive(child)) child.kill('SIGKILL');
      await within(gone, STOP_TIMEOUT_MS, `process ${child.pid ?? '?'} to die`).catch(() => undefined);
      running.delete(child);
    }),
  );
}

// ---- raw sockets -------------------------------------------------------------------------

/** A raw loopback client; destroyed by `killAllSeals()`. */
export function connect(port: number, ms = STOP_TIMEOUT_MS): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        // Resets after this point surface as 'close' (and in receiveAll's result).
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    ms,
    `connect to 127.0.0.1:${port}`,
  );
}

export interface Received {
  data: Buffer;
  error: Error | undefined;
}

/** Everything `socket` receives until it closes (bounded). Call it before writing. */
export function receiveAll(socket: net.Socket, ms = STOP_TIMEOUT_MS): Promise<Received> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (err: Error) => (error = err));
  const closed = socket.destroyed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return within(
    closed.then(() => ({ data: Buffer.concat(chunks), error })),
    ms,
    'the server to close the connection',
  );
}

/** Reads from `socket` until `condition` holds for what arrived (bounded). */
export function receiveUntil(socket: net.Socket, condition: (data: Buffer) => boolean, what: string, ms = STOP_TIMEOUT_MS): Promise<Buffer> {
  let data = Buffer.alloc(0);
  let onData: ((chunk: Buffer) => void) | undefined;
  let onClose: (() => void) | undefined;
  return within(
    new Promise<Buffer>((resolve, reject) => {
      onData = (chunk: Buffer): void => {
        data = Buffer.concat([data, chunk]);
        if (condition(data)) resolve(data);
      };
      onClose = (): void => reject(new Error(`connection closed before ${what}; got ${JSON.stringify(data.toString('latin1'))}`));
      socket.on('data', onData);
      socket.once('close', onClose);
    }),
    ms,
    what,
  ).finally(() => {
    if (onData !== undefined) socket.off('data', onData);
    if (onClose !== undefined) socket.off('close', onClose);
  });
}

/** Connects, writes `request` as is, and returns everything received until the server closes. */
export async function exchange(port: number, request: string | Uint8Array): Promise<{ data: Buffer; clientPort: number; clientAddress: string }> {
  const socket = await connect(port);
  const clientPort = socket.localPort ?? -1;
  const clientAddress = socket.localAddress ?? '';
  const received = receiveAll(socket);
  socket.write(request);
  const { data } = await received;
  return { data, clientPort, clientAddress };
}

export interface RawResponse {
  statusLine: string;
  /** Header fields in the order received, names as received, values trimmed. */
  fields: [string, string][];
  /** The first value of a field, by name in any case. */
  header(name: string): string | undefined;
  /** The raw bytes after the head. */
  body: Buffer;
  /** The raw head, without the final CRLFCRLF. */
  head: string;
}

/** A deliberately plain parser for one response (the body is everything after the head). */
export function parseRawResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no end of head in ${JSON.stringify(raw.toString('latin1'))}`);
  const head = raw.subarray(0, end).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const fields: [string, string][] = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const header = (name: string): string | undefined => fields.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  return { statusLine, fields, header, body: raw.subarray(end + 4), head };
}
