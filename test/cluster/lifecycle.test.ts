/**
 * The life of `seal serve --workers 2`: a worker killed with SIGKILL is logged and restarted with
 * back-off while the other keeps serving; SIGTERM lets a request in flight finish and exits 0;
 * SIGHUP replaces every worker, one at a time, without a single failed connection; Ctrl-C (SIGINT
 * to the whole process group) stops everything once, through the primary. Real processes over
 * loopback; every wait bounded.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, killAllSeals, sleep, startSeal, waitFor, within } from '../support/seal-process.js';
import { PID_APP, distinctPids, loadUntil, requestPid, waitForStderr } from './support.js';

afterEach(killAllSeals);

describe('seal serve --workers 2: restarts, drain, reload', () => {
  it('a worker killed with SIGKILL is logged and restarted, doubling the back-off; service never stops', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '2']);
    const [victim, survivor] = [...(await distinctPids(seal.port, 2))] as [number, number];
    process.kill(victim, 'SIGKILL');
    await waitForStderr(seal, new RegExp(`^seal: worker \\d+ \\(pid ${victim}\\) exited with signal SIGKILL; restarting in 100 ms$`, 'm'), 'the restart line');
    // Served all along by the survivor, then by the survivor and the new worker.
    const replacement = await within(
      (async () => {
        for (;;) {
          const pid = await requestPid(seal.port);
          expect(pid).not.toBe(victim);
          if (pid !== survivor) return pid;
        }
      })(),
      5_000,
      'the restarted worker to answer',
    );
    // Dying again soon after its start: the next restart waits twice as long.
    process.kill(replacement, 'SIGKILL');
    await waitForStderr(seal, new RegExp(`^seal: worker \\d+ \\(pid ${replacement}\\) exited with signal SIGKILL; restarting in 200 ms$`, 'm'), 'the second restart line');
    const pids = await distinctPids(seal.port, 2);
    expect(pids.has(survivor)).toBe(true);
    expect(pids.has(replacement)).toBe(false);
    expect(await seal.stop('SIGTERM')).toBe(0);
    expect(seal.stdout().match(/listening on/g)).toHaveLength(1);
  });

  it('SIGTERM lets a slow request in flight finish, then every process exits, status 0', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '2']);
    const slow = requestPid(seal.port, '/?delay=2000');
    await sleep(500); // the request is in a worker's handler
    const started = Date.now();
    seal.child.kill('SIGTERM');
    const pid = await slow;
    expect(Date.now() - started).toBeGreaterThan(1_200);
    expect(pid).not.toBe(seal.child.pid);
    expect((await within(seal.exited, 5_000, 'seal to exit')).code).toBe(0);
    expect(seal.stderr()).toBe('');
  });

  it('SIGHUP under continuous load replaces every worker with no failed request', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '2']);
    const before = await distinctPids(seal.port, 2);
    let reloadedAt = Infinity;
    const started = Date.now();
    // Four clients, a new connection per request, from before the signal to 500 ms after the reload.
    const load = loadUntil(seal.port, 4, () => Date.now() - reloadedAt > 500, 15_000);
    await sleep(300);
    seal.child.kill('SIGHUP');
    await waitForStderr(seal, /^seal: reload done$/m, 'the reload to finish', 10_000);
    reloadedAt = Date.now();
    const result = await load;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    // Answers after the reload came only from new workers, two of them.
    const afterReload = reloadedAt - started;
    const late = [...result.lastSeen].filter(([, at]) => at > afterReload + 100).map(([pid]) => pid);
    expect(late.some((pid) => before.has(pid))).toBe(false);
    const after = await distinctPids(seal.port, 2);
    for (const pid of after) expect(before.has(pid)).toBe(false);
    expect(seal.stderr()).toMatch(/^seal: reloading 2 workers, one at a time\nseal: reload done\n$/);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('Ctrl-C (SIGINT to the whole process group) stops through the primary: no worker restarted, status 0', async () => {
    // A process group of its own, as a terminal makes for a foreground command.
    const child = spawn(process.execPath, [CLI, 'serve', '--module', PID_APP, '--workers', '2', '--port', '0', '--quiet'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(out), 10_000, 'the listening line');
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      await distinctPids(port, 2);
      process.kill(-child.pid!, 'SIGINT');
      expect(await within(exited, 15_000, 'the group to exit after SIGINT')).toBe(0);
      expect(err).toBe('');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
