/**
 * The memory machinery at CI size: 1 000 idle keep-alive connections to Seal and to node:http,
 * each served once and held open, and the servers' memory per connection within a sane bound.
 * Not a performance assertion: the Seal vs node:http goal lives in bench/reliability.js.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runMemory } from '../../bench/lib/reliability-memory.js';
import { HAVE_PROC, requireBuild } from './support.js';

const CONNECTIONS = 1_000;
/** Far above what an idle connection costs either server (about 8 KiB), far below a leak of buffers. */
const SANE_BYTES_PER_CONNECTION = 64 * 1024;

describe.skipIf(!HAVE_PROC)('memory per idle connection', () => {
  beforeAll(requireBuild);

  it('holds 1 000 idle keep-alive connections open and measures them', async () => {
    const results = await runMemory({ connections: CONNECTIONS });
    expect(results.map((r) => r.server)).toEqual(['seal', 'node-http']);
    for (const r of results) {
      expect(r.failed).toBe(0);
      expect(r.connections).toBe(CONNECTIONS);
      // The server really held them all open at the moment it was measured.
      expect(r.serverSockets).toBe(CONNECTIONS);
      expect(r.perConnection.heapUsed).toBeGreaterThan(0);
      expect(r.perConnection.heapUsed).toBeLessThan(SANE_BYTES_PER_CONNECTION);
      expect(r.perConnection.rss).toBeLessThan(SANE_BYTES_PER_CONNECTION);
    }
  }, 30_000);
});
