/**
 * A real nginx (Debian's `nginx` package) in front of Seal, for the reverse-proxy tests: a config
 * written to a new temporary folder (pid, logs and every temp path inside it, so nothing of the
 * system's nginx is read or written — not /etc/nginx, not a running service), started in the
 * foreground as our child, listening on 127.0.0.1 only, and stopped at the end.
 *
 * The tests are skipped only where nginx is missing and CI is not set: in CI a missing nginx is a
 * failure, not a skip (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, within } from '../support/waits.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((path) => existsSync(path)) ?? '/usr/sbin/nginx';

/** Whether to skip: no nginx here, and not in CI (where it must be installed). */
export const SKIP_NGINX = !existsSync(NGINX) && !process.env.CI;

/** Debian builds the stream module as a dynamic module (package libnginx-mod-stream). */
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** How nginx was built: `-V` prints the configure arguments (on stderr). */
function buildFlags(): string {
  if (!existsSync(NGINX)) return '';
  const result = spawnSync(NGINX, ['-V'], { encoding: 'utf8', timeout: 5_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

/** The `load_module` line the stream module needs, '' when built in, null when not available. */
export function streamModuleDirective(): string | null {
  const flags = buildFlags();
  if (/--with-stream(\s|$)/.test(flags)) return '';
  if (/--with-stream=dynamic/.test(flags) && existsSync(STREAM_MODULE)) return `load_module ${STREAM_MODULE};`;
  return null;
}

/** A port free right now on 127.0.0.1 (the kernel picks it; nginx binds it a moment later). */
export function freePort(): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', reject);
      probe.listen({ host: '127.0.0.1', port: 0 }, () => {
        const address = probe.address() as net.AddressInfo;
        probe.close(() => resolve(address.port));
      });
    }),
    5_000,
    'a free port',
  );
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface NginxInstance {
  readonly dir: string;
  /** The ports nginx listens on, by the names the config template used. */
  readonly ports: Readonly<Record<string, number>>;
  stop(): Promise<void>;
  errorLog(): string;
}

/**
 * Starts nginx with the `http { … }` and `stream { … }` blocks `body` returns for the given
 * ports (named `names`, picked free); retried with new ports if one was taken meanwhile.
 */
export async function startNginx(names: readonly string[], body: (ports: Record<string, number>, dir: string) => string): Promise<NginxInstance> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports: Record<string, number> = {};
    for (const name of names) ports[name] = await freePort();
    try {
      return await startOnce(ports, body);
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw lastError ?? new Error('nginx did not start');
}

async function startOnce(ports: Record<string, number>, body: (ports: Record<string, number>, dir: string) => string): Promise<NginxInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'seal-nginx-'));
  // As root, nginx's workers would run as `nobody` and could not write the temp folders in this
  // private folder (uploads are buffered there): make them root too. Otherwise they run as us.
  const asRoot = process.getuid?.() === 0;
  const config = [
    body(ports, dir).includes('stream {') ? (streamModuleDirective() ?? '') : '',
    asRoot ? 'user root;' : '',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'events { worker_connections 256; }',
    body(ports, dir),
  ].join('\n');
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, config);
  // -e: the error log before the config is read; -g 'daemon off;': stay our child.
  const child: ChildProcess = spawn(NGINX, ['-p', `${dir}/`, '-c', path, '-e', `${dir}/error.log`, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const errorLog = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (running) {
      child.kill('SIGTERM'); // fast shutdown: the master stops its workers, then exits
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await within(exited, 5_000, 'nginx to exit');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!running) {
      const log = errorLog();
      await stop();
      throw new Error(`nginx exited at start: ${stderr}\n${log}`);
    }
    let up = true;
    for (const port of Object.values(ports)) if (!(await portAccepts(port))) up = false;
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen within 10 s: ${stderr}\n${errorLog()}`);
    }
    await sleep(20);
  }
  return { dir, ports, stop, errorLog };
}
