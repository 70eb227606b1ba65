/**
 * A short soak of the echo app: mixed valid requests (GET, urlencoded POST, uploads, pipelined
 * bursts) answered exactly, among clients that vanish mid-request, and the server holds as many
 * file descriptors and sockets afterwards as before.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/lib/reliability-soak.js';
import { HAVE_PROC, requireBuild } from './support.js';

describe.skipIf(!HAVE_PROC)('soak', () => {
  beforeAll(requireBuild);

  it('answers every valid request exactly and leaks no descriptor', async () => {
    const r = await runSoak({ seconds: 5, workers: 4 });
    expect(r.failureSamples).toEqual([]);
    expect(r.failures).toBe(0);
    expect(r.answered).toBe(r.valid);
    for (const action of ['get', 'post', 'upload', 'pipeline', 'vanish']) expect(r.byAction[action]).toBeGreaterThan(0);
    expect(r.fdsAfter).toEqual(r.fdsBefore);
  }, 25_000);
});
