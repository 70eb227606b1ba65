/**
 * `runWorkers` from the public API (test/fixtures/apps/workers-api.mjs): the primary's settings
 * reach every worker, the supervisor reloads on request and reports the new pids, SIGTERM stops
 * it all with status 0.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, sleep, waitFor, within } from '../support/seal-process.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/apps/workers-api.mjs');
const started: { kill(signal: NodeJS.Signals): boolean }[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

async function answers(port: number, count: number): Promise<Map<number, string>> {
  const seen = new Map<number, string>();
  for (let i = 0; i < 20 && seen.size < count; i++) {
    const text = await (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text();
    const match = /^(hello from \d+) via (\d+)$/.exec(text);
    if (match === null) throw new Error(`unexpected answer ${JSON.stringify(text)}`);
    seen.set(Number(match[2]), match[1]!);
  }
  return seen;
}

function startFixture(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [FIXTURE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env } });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const wait = (pattern: RegExp, what: string, ms = 10_000): Promise<void> =>
    waitFor(() => pattern.test(out), ms, what).catch((error: Error) => {
      throw new Error(`${error.message}\nstdout: ${out}\nstderr: ${err}`);
    });
  const listening = async (): Promise<number> => {
    await wait(/^listening on http:\/\/127\.0\.0\.1:\d+$/m, 'the listening line');
    return Number(/:(\d+)$/m.exec(out)![1]);
  };
  return { child, exited, wait, listening, out: () => out, err: () => err };
}

describe('runWorkers (API)', () => {
  it('hands the settings to every worker, reloads on request, stops on SIGTERM', async () => {
    const { child, exited, wait, listening, out: stdout, err: stderr } = startFixture();
    const port = await listening();
    const before = await answers(port, 2);
    expect([...before.values()]).toEqual([`hello from ${child.pid}`, `hello from ${child.pid}`]);

    child.kill('SIGUSR2');
    await wait(/^reloaded \S+ \S+$/m, 'the reload');
    const [, done, pids] = /^reloaded (\S+) (\S+)$/m.exec(stdout())!;
    expect(done).toBe('true');
    const fresh = pids!.split(',').map(Number);
    expect(fresh).toHaveLength(2);
    for (const pid of fresh) expect(before.has(pid)).toBe(false);
    expect(new Set((await answers(port, 2)).keys())).toEqual(new Set(fresh));

    child.kill('SIGTERM');
    expect(await within(exited, 15_000, 'the primary to exit')).toBe(0);
    expect(stderr()).toBe('seal: reloading 2 workers, one at a time\nseal: reload done\n');
  });

  it('a worker still draining at the deadline is killed, said on stderr; the exit status is 1', async () => {
    const { child, exited, listening, err: stderr } = startFixture({ STOP_DEADLINE_MS: '500' });
    const port = await listening();
    const hanging = fetch(`http://127.0.0.1:${port}/hang`).catch((error: unknown) => error);
    await sleep(300); // the request reaches a worker
    child.kill('SIGTERM');
    expect(await within(exited, 10_000, 'the primary to exit')).toBe(1);
    expect(stderr()).toMatch(/^seal: worker \d+ \(pid \d+\) still running 500 ms after being asked to stop; killing it$/m);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
