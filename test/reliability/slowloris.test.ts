/**
 * Slowloris at CI size: 100 connections trickle a head one byte a second against a 1 s headers
 * timeout. The normal client is served throughout, and every slow connection is answered 408 and
 * closed once its head has taken longer than the timeout, within a sweep and a margin.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runSlowloris } from '../../bench/lib/reliability-slowloris.js';
import { HAVE_PROC, requireBuild } from './support.js';

const HEADERS_TIMEOUT_MS = 1_000;
/** Slack for a busy CI machine on top of the sweep interval. */
const MARGIN_MS = 750;

describe.skipIf(!HAVE_PROC)('slowloris', () => {
  beforeAll(requireBuild);

  it('serves a normal client while 100 slow heads trickle, and closes them at the headers timeout', async () => {
    const r = await runSlowloris({ slowConnections: 100, headersTimeoutMs: HEADERS_TIMEOUT_MS, phaseSeconds: 0.4, preferWrk: false });
    expect(r.opened).toBe(100);
    // The normal client was answered in every phase, without an error.
    for (const phase of [r.baseline, r.underAttack, r.after]) {
      expect(phase.requests).toBeGreaterThan(0);
      expect(phase.errors).toBe(0);
    }
    expect(r.openDuringMeasurement).toBe(100);
    // RFC 9110 §15.5.9: 408 then close; never before the timeout, never long after.
    expect(r.stillOpen).toBe(0);
    expect(r.closed408).toBe(100);
    // Timed from the client's first write: the server's clock starts later, when it parses it.
    expect(r.closeAfterMs.min).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 5);
    expect(r.closeAfterMs.max).toBeLessThan(HEADERS_TIMEOUT_MS + r.sweepMs + MARGIN_MS);
    expect(r.serverSocketsAfter).toBe(r.serverSocketsBefore);
  }, 20_000);
});
