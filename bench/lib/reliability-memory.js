/**
 * Memory per idle keep-alive connection: a server process (Seal's hello app, then node:http's) is
 * given `connections` connections from this process, each having sent one keep-alive GET and read
 * its response, then left idle. The server reports its memory after forced collections
 * (`--expose-gc`) before and while they are open, and after they closed; the difference divided by
 * the number of connections is what one idle connection costs. Keep-alive and header timeouts are
 * raised (10 min) so that no connection is closed while it is measured, and the connection limit
 * above the count.
 */
import { ClientConnection, getRequest } from './reliability-http.js';
import { launchReliabilityServer } from './reliability-servers.js';
import { descriptorsOf, pollUntil, rssOf, sleep } from './reliability-proc.js';

/** The timeouts given to both servers: longer than any run. */
const IDLE_TIMEOUT_MS = 10 * 60_000;
/** Connections being opened at once (the listen backlog is 511). */
const OPENING_AT_ONCE = 100;
/** Connections used (and closed) before the first measurement, so lazy setup is not charged to them. */
const WARM_UP_CONNECTIONS = 200;
/** How long the idle connections are left alone before the server measures them. */
const SETTLE_MS = 1_000;

/**
 * @typedef {{ rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number }} Memory
 * @typedef {{ server: string, connections: number, failed: number, openMs: number, before: Memory,
 *   open: Memory, after: Memory, procRssOpen: number, serverSockets: number,
 *   perConnection: { rss: number, heapUsed: number, external: number } }} MemoryResult
 */

/** Opens `count` connections that each did one keep-alive GET; resolves with them and the failures. */
async function openIdle(port, count) {
  /** @type {ClientConnection[]} */
  const open = [];
  let failed = 0;
  let next = 0;
  const request = getRequest('/');
  const opener = async () => {
    while (next < count) {
      next++;
      try {
        const conn = await ClientConnection.connect(port);
        open.push(conn);
        const [response] = await conn.request(request);
        if (response.status !== 200) failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, opener));
  return { open, failed };
}

async function closeAll(conns) {
  for (let i = 0; i < conns.length; i += 1000) await Promise.all(conns.slice(i, i + 1000).map((c) => c.end()));
}

const pick = (m) => ({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });

/**
 * @param {{ connections: number, servers?: string[], log?: (line: string) => void }} settings
 * @returns {Promise<MemoryResult[]>}
 */
export async function runMemory({ connections, servers = ['seal', 'node-http'], log = () => {} }) {
  const results = [];
  for (const name of servers) {
    const server = await launchReliabilityServer(name, {
      nodeArgs: ['--expose-gc'],
      options: {
        keepAliveTimeoutMs: IDLE_TIMEOUT_MS,
        headersTimeoutMs: IDLE_TIMEOUT_MS,
        requestTimeoutMs: IDLE_TIMEOUT_MS,
        maxConnections: connections + 1_000,
      },
    });
    try {
      const baseSockets = descriptorsOf(server.pid).sockets;
      const warm = await openIdle(server.port, Math.min(WARM_UP_CONNECTIONS, connections));
      await closeAll(warm.open);
      await pollUntil(() => descriptorsOf(server.pid).sockets, (n) => n <= baseSockets, 5_000);
      const before = pick(await server.ask('memory'));

      const started = performance.now();
      const { open, failed } = await openIdle(server.port, connections);
      const openMs = performance.now() - started;
      await sleep(SETTLE_MS);
      const serverSockets = descriptorsOf(server.pid).sockets - baseSockets;
      const during = pick(await server.ask('memory'));
      const procRssOpen = rssOf(server.pid);
      log(`${name}: ${open.length - failed} idle connections open (${failed} failed) in ${(openMs / 1000).toFixed(1)} s; server holds ${serverSockets} sockets`);

      await closeAll(open);
      await pollUntil(() => descriptorsOf(server.pid).sockets, (n) => n <= baseSockets, 10_000);
      const after = pick(await server.ask('memory'));
      const n = open.length - failed;
      results.push({
        server: name,
        connections: n,
        failed,
        openMs,
        before,
        open: during,
        after,
        procRssOpen,
        serverSockets,
        perConnection: {
          rss: (during.rss - before.rss) / n,
          heapUsed: (during.heapUsed - before.heapUsed) / n,
          external: (during.external - before.external) / n,
        },
      });
    } finally {
      await server.stop();
    }
  }
  return results;
}
