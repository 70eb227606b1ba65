/**
 * `seal serve --workers N` (CONTRACTS.md §1): N processes sharing the listeners through
 * node:cluster, plain and TLS, the `listening on` lines printed once by the primary, and bad
 * values refused before anything is forked. Needs `npm run build` first (`npm test` does it).
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { expectUsageRefusal, killAllSeals, runSeal, startSeal } from '../support/seal-process.js';
import { PID_APP, distinctPids, expectListeningLinesOnce, requestPid } from './support.js';

afterEach(killAllSeals);

/** The generated certificate's file, as announced on stderr. */
function certificateFile(stderr: string): string {
  const match = /certificate for localhost, 127\.0\.0\.1 and ::1 in (\S+)/.exec(stderr);
  if (match === null) throw new Error(`no certificate announced on stderr: ${stderr}`);
  return match[1]!;
}

describe('seal serve --workers N', () => {
  it('--workers 2: requests are served by two worker processes, neither of them the primary', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '2']);
    expectListeningLinesOnce(seal, ['http']);
    const pids = await distinctPids(seal.port, 2);
    expect(pids.has(seal.child.pid!)).toBe(false);
    expect(await seal.stop('SIGTERM')).toBe(0);
    expect(seal.stderr()).toBe('');
  });

  it('--workers 2 over TLS: every worker serves the one certificate made by the primary, announced once', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '2'], { tlsPort0: true });
    expectListeningLinesOnce(seal, ['http', 'https']);
    expect(seal.stderr().match(/SHA-256 fingerprint/g)).toHaveLength(1);
    expect(seal.stderr().match(/self-signed certificate/g)).toHaveLength(1);
    const ca = readFileSync(certificateFile(seal.stderr()), 'utf8');
    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++) {
      // A new agent per request: a new connection, so round-robin can hand it to the other worker.
      const dispatcher = new Agent({ connect: { ca } });
      try {
        const response = await fetch(`https://127.0.0.1:${seal.tlsPort}/`, { dispatcher });
        expect(response.status).toBe(200);
        pids.add(Number(await response.text()));
      } finally {
        await dispatcher.close();
      }
    }
    expect(pids.size).toBe(2);
    expect(new Set([...(await distinctPids(seal.port, 2))])).toEqual(pids);
    expect(await seal.stop('SIGINT')).toBe(0);
  });

  it('--workers 2 with a built-in app prints the demo reports from the workers', async () => {
    const seal = await startSeal(['--app', 'demo', '--workers', '2'], { quiet: false });
    const report = await (await globalThis.fetch(`http://127.0.0.1:${seal.port}/report?x=1`)).text();
    expect(report).toContain('requestline: GET /report?x=1 HTTP/1.1');
    await seal.waitForStdout((out) => out.includes('requestline: GET /report?x=1 HTTP/1.1'), 'the report on stdout');
    expect(seal.stdout().startsWith(`listening on http://127.0.0.1:${seal.port}\n`)).toBe(true);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('--workers 1 stays a single process', async () => {
    const seal = await startSeal(['--module', PID_APP, '--workers', '1']);
    expect(await requestPid(seal.port)).toBe(seal.child.pid);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  const REFUSED: [string, string[], RegExp][] = [
    ['0', ['--workers', '0'], /^seal: --workers must be a positive integer, got '0'$/],
    ['-1', ['--workers', '-1'], /^seal: --workers must be a positive integer, got '-1'$/],
    ['two', ['--workers=two'], /^seal: --workers must be a positive integer, got 'two'$/],
    ['1.5', ['--workers', '1.5'], /^seal: --workers must be a positive integer, got '1\.5'$/],
    ['257', ['--workers', '257'], /^seal: --workers must be at most 256, got 257$/],
    ['no value', ['--workers'], /^seal: --workers needs a value$/],
    ['2 with a missing module', ['--workers', '2', '--module', 'test/fixtures/apps/missing.mjs'], /^seal: --module \S+missing\.mjs: no such file$/],
  ];
  for (const [what, args, message] of REFUSED) {
    it(`refuses --workers ${what}: one line on stderr, a usage hint, exit status 2, nothing forked`, async () => {
      await expectUsageRefusal(args, message);
    });
  }

  it('a worker that cannot listen (port in use) fails the start: exit status 1, said on stderr', async () => {
    const first = await startSeal(['--app', 'hello']);
    const run = await runSeal(['serve', '--app', 'hello', '--quiet', '--port', String(first.port), '--workers', '2']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/EADDRINUSE/);
    expect(run.stderr).toMatch(/^seal: worker \d+ \(pid \d+\) exited with code 1 before listening$/m);
    expect(await first.stop()).toBe(0);
  });
});
