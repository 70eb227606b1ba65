/**
 * Graceful stop under load: close() while clients (keep-alive, and a connection per request) load
 * the server; every request the handler saw reached its client as a complete response.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runGraceful } from '../../bench/lib/reliability-graceful.js';
import { requireBuild } from './support.js';

describe('graceful stop under load', () => {
  beforeAll(requireBuild);

  it('loses no accepted request', async () => {
    const r = await runGraceful({ clients: 8, loadSeconds: 1.5 });
    expect(r.complete).toBeGreaterThan(0);
    // Anything else a client met (a connect error other than refused, a wrong status or body) is
    // named in the message, so that a failure says what happened.
    expect(r.otherErrors, `client errors: ${r.errorSamples.join('; ')}`).toBe(0);
    expect(r.serverSeen).toBe(r.serverAnswered);
    expect(r.complete).toBe(r.serverSeen);
    expect(r.lost).toBe(0);
    // Once the listener is closed, every client's next connection is refused.
    expect(r.refused).toBe(r.clients);
  }, 20_000);
});
