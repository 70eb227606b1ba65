#!/usr/bin/env node
/**
 * The `seal` command (CONTRACTS.md §1): `seal serve [options]` serves a built-in app until SIGINT
 * or SIGTERM, then stops gracefully and exits 0. Bad options: one line on stderr, a usage hint,
 * exit status 2.
 */
import { statSync } from 'node:fs';
import { demo } from './apps/demo.js';
import { echo } from './apps/echo.js';
import { hello } from './apps/hello.js';
import { ModuleError, moduleHandler } from './apps/module.js';
import { staticApp } from './apps/static.js';
import { tcpEcho } from './apps/tcp-echo.js';
import { isWorkerProcess, runWorkers } from './cluster/index.js';
import { HttpServer } from './http/server.js';
import { MAX_BODY_BYTES, type Handler } from './http/options.js';
import { AddressMatcher } from './net/ip.js';
import { TcpServer } from './net/server.js';
import { developmentCertificate } from './tls/development.js';
import { HttpsServer } from './tls/https.js';
import { describeTls } from './tls/info.js';
import { DEFAULT_HTTP_PORT, TlsServer, type TlsCredentials } from './tls/server.js';

const APPS = ['demo', 'hello', 'echo', 'tcp-echo', 'static'] as const;
type AppName = (typeof APPS)[number];

export interface ServeOptions {
  app: AppName;
  root: string;
  module: string | undefined;
  host: string;
  /** null: no plain listener (`--port none`). */
  port: number | null;
  tlsPort: number | null;
  cert: string | undefined;
  key: string | undefined;
  maxBody: number;
  workers: number;
  quiet: boolean;
  /** `--trust-proxy`: the proxies whose forwarding headers are believed (HttpOptions.trustProxy). */
  trustProxy: string[];
  /** `--proxy-protocol`: every connection starts with a PROXY protocol header. */
  proxyProtocol: boolean;
}

const USAGE = `usage: seal serve [--app demo|hello|echo|tcp-echo|static] [--root DIR] [--module FILE]
                  [--host HOST] [--port N|none] [--tls-port N] [--cert FILE --key FILE]
                  [--max-body BYTES] [--workers N] [--quiet]
                  [--trust-proxy ADDR[,ADDR…]] [--proxy-protocol]`;

/** Far above any machine's core count: a typo such as 1000 is refused rather than forking a thousand processes. */
const MAX_WORKERS = 256;

class UsageError extends Error {}

function portNumber(flag: string, text: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number 0-65535, got '${text}'`);
  return Number(text);
}

function positiveInteger(flag: string, text: string): number {
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  return Number(text);
}

export function parseServeArgs(args: readonly string[]): ServeOptions {
  const options: ServeOptions = {
    app: 'demo',
    root: '.',
    module: undefined,
    host: '127.0.0.1',
    port: DEFAULT_HTTP_PORT,
    tlsPort: null,
    cert: undefined,
    key: undefined,
    maxBody: MAX_BODY_BYTES,
    workers: 1,
    quiet: false,
    trustProxy: [],
    proxyProtocol: false,
  };
  let appGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--app': {
        const name = value();
        if (!(APPS as readonly string[]).includes(name)) throw new UsageError(`unknown app '${name}' (apps: ${APPS.join(', ')})`);
        options.app = name as AppName;
        appGiven = true;
        break;
      }
      case '--root':
        options.root = value();
        break;
      case '--module':
        options.module = value();
        break;
      case '--host':
        options.host = value();
        break;
      case '--port': {
        const text = value();
        options.port = text === 'none' ? null : portNumber(flag, text);
        break;
      }
      case '--tls-port':
        options.tlsPort = portNumber(flag, value());
        break;
      case '--cert':
        options.cert = value();
        break;
      case '--key':
        options.key = value();
        break;
      case '--max-body':
        options.maxBody = positiveInteger(flag, value());
        break;
      case '--workers':
        options.workers = positiveInteger(flag, value());
        if (options.workers > MAX_WORKERS) throw new UsageError(`--workers must be at most ${MAX_WORKERS}, got ${options.workers}`);
        break;
      case '--trust-proxy': {
        const entries = value()
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== '');
        try {
          new AddressMatcher(entries);
        } catch (error) {
          throw new UsageError(`--trust-proxy: ${error instanceof Error ? error.message : String(error)}`);
        }
        options.trustProxy.push(...entries);
        break;
      }
      case '--proxy-protocol':
        if (inline !== undefined) throw new UsageError('--proxy-protocol takes no value');
        options.proxyProtocol = true;
        break;
      case '--quiet':
        if (inline !== undefined) throw new UsageError('--quiet takes no value');
        options.quiet = true;
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (options.port === null && options.tlsPort === null) throw new UsageError('--port none needs --tls-port: there would be nothing to serve');
  if ((options.cert === undefined) !== (options.key === undefined)) throw new UsageError('--cert and --key go together');
  if (options.module !== undefined && appGiven) throw new UsageError('--module and --app exclude each other');
  return options;
}

/** `--app static` needs a folder to serve: a wrong --root is a bad option, not a 404 for every request. */
function rootProblem(options: ServeOptions): string | undefined {
  if (options.app !== 'static') return undefined;
  try {
    if (statSync(options.root).isDirectory()) return undefined;
  } catch {
    // missing or unreadable: said below
  }
  return `--root ${options.root} is not a folder`;
}

async function httpHandler(options: ServeOptions): Promise<Handler> {
  if (options.module !== undefined) return moduleHandler(options.module);
  const out = options.quiet ? undefined : (text: string) => void process.stdout.write(text);
  switch (options.app) {
    case 'hello':
      return hello;
    case 'echo':
      return echo({ maxBodyBytes: options.maxBody });
    case 'static':
      return staticApp({ root: options.root, out });
    default:
      return demo({ maxBodyBytes: options.maxBody, out });
  }
}

function url(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

interface Stoppable {
  close(): Promise<void>;
}

async function serve(options: ServeOptions): Promise<void> {
  // Loaded first: a FILE that cannot be served is a bad option, refused before anything listens.
  const handler = options.app === 'tcp-echo' ? undefined : await httpHandler(options);
  const servers: Stoppable[] = [];
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.all(servers.map((server) => server.close())).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`seal: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // Before the first listener is bound: a signal sent as soon as `listening on` is read must
  // find the handlers in place, not the default action (killed by the signal, no exit status 0).
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const bind = async (server: Listening, scheme: Scheme): Promise<void> => {
    const address = await server.listen();
    servers.push(server);
    process.stdout.write(`listening on ${url(scheme, options.host, address.port)}\n`);
  };
  if (options.port !== null) await bind(plainServer(options, handler), 'http');
  // The same app, unchanged, over TLS.
  if (options.tlsPort !== null) await bind(tlsServer(options, handler, tlsCredentials(options)), 'https');
}

type Scheme = 'http' | 'https';

interface Listening extends Stoppable {
  listen(): Promise<{ port: number }>;
  readonly address: { port: number } | undefined;
}

function plainServer(options: ServeOptions, handler: Handler | undefined): Listening {
  const common = { host: options.host, port: options.port ?? 0, proxyProtocol: options.proxyProtocol };
  return options.app === 'tcp-echo'
    ? new TcpServer({ ...common, handler: tcpEcho({ out: quietOut(options) }) })
    : new HttpServer({ ...common, handler: handler!, maxBodyBytes: options.maxBody, trustProxy: options.trustProxy });
}

function tlsServer(options: ServeOptions, handler: Handler | undefined, credentials: TlsCredentials): Listening {
  const common = { ...credentials, host: options.host, port: options.tlsPort ?? 0, proxyProtocol: options.proxyProtocol };
  return options.app === 'tcp-echo'
    ? new TlsServer({ ...common, handler: tcpEcho({ out: quietOut(options), describe: describeTls }), onError: tlsErrorLog(options) })
    : new HttpsServer({ ...common, handler: handler!, maxBodyBytes: options.maxBody, trustProxy: options.trustProxy });
}

/** tcp-echo prints to stdout unless told where else; --quiet tells it nowhere. */
function quietOut(options: ServeOptions): (() => undefined) | undefined {
  return options.quiet ? () => undefined : undefined;
}

/** What the primary hands every worker: the TLS credentials, made or read once. */
interface WorkerSettings {
  tls: { cert: string; key: string } | null;
}

/**
 * `--workers N` above 1: this process is the primary, forking N workers that run this same
 * command and share its listeners. The primary checks the options (the module too), makes the
 * TLS certificate once, and prints the `listening on` lines once every worker listens.
 */
async function serveWorkers(options: ServeOptions): Promise<void> {
  if (!isWorkerProcess() && options.module !== undefined) await moduleHandler(options.module);
  const schemes: Scheme[] = [...(options.port !== null ? ['http' as const] : []), ...(options.tlsPort !== null ? ['https' as const] : [])];
  await runWorkers<WorkerSettings>({
    workers: options.workers,
    settings: () => ({ tls: options.tlsPort === null ? null : pemStrings(tlsCredentials(options)) }),
    async start(settings) {
      const handler = options.app === 'tcp-echo' ? undefined : await httpHandler(options);
      const servers: Listening[] = [];
      if (options.port !== null) servers.push(plainServer(options, handler));
      if (settings.tls !== null) servers.push(tlsServer(options, handler, settings.tls));
      // One after the other, in the same order in every worker: node:cluster shares a `port 0`
      // listener between workers by the order in which each worker binds its listeners.
      for (const server of servers) await server.listen();
      return servers;
    },
    onListening(ports) {
      const lines = ports.map((port, i) => `listening on ${url(schemes[i]!, options.host, port)}\n`);
      process.stdout.write(lines.join(''));
    },
  });
}

/** Credentials that travel over IPC: PEM text or file paths, as strings. */
function pemStrings(credentials: TlsCredentials): { cert: string; key: string } {
  return { cert: credentials.cert.toString(), key: credentials.key.toString() };
}

/** Failed handshakes are the client's doing: one line each on stderr, none with --quiet. */
function tlsErrorLog(options: ServeOptions): (error: Error) => void {
  return options.quiet ? () => undefined : (error) => void process.stderr.write(`seal: ${error.message}\n`);
}

/**
 * --cert/--key, or a self-signed certificate for localhost, 127.0.0.1 and ::1 made now. Its
 * fingerprint goes to stderr: stdout carries exactly one `listening on` line per listener.
 */
function tlsCredentials(options: ServeOptions): TlsCredentials {
  if (options.cert !== undefined && options.key !== undefined) return { cert: options.cert, key: options.key };
  const generated = developmentCertificate();
  process.stderr.write(
    `seal: self-signed certificate for localhost, 127.0.0.1 and ::1 in ${generated.certFile}\n` +
      `seal: SHA-256 fingerprint ${generated.fingerprint256}\n`,
  );
  return { cert: generated.certPem, key: generated.keyPem };
}

export async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...args] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  try {
    if (command !== 'serve') throw new UsageError(command === undefined ? 'missing command' : `unknown command '${command}'`);
    const options = parseServeArgs(args);
    const missing = rootProblem(options);
    if (missing !== undefined) throw new UsageError(missing);
    await (options.workers > 1 ? serveWorkers(options) : serve(options));
    return undefined; // serving until a signal
  } catch (error) {
    if (error instanceof UsageError || error instanceof ModuleError) {
      process.stderr.write(`seal: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`seal: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((status) => {
  if (status !== undefined) process.exitCode = status;
});
