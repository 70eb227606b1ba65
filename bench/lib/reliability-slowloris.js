/**
 * Slowloris: `slowConnections` connections each send a request head one byte a second and never
 * finish it, while a normal client on another keep-alive connection measures requests per second
 * before them (baseline), while they are all open (under attack), and after they are gone. The
 * server (Seal's hello app in a child process) runs with a short headers timeout for the run; every
 * slow connection must be closed by the server (a 408 then FIN, or a bare close) once its head has
 * taken longer than the timeout: its close time, from its first byte, is recorded.
 */
import net from 'node:net';
import { runNormalClient } from './reliability-clients.js';
import { launchReliabilityServer } from './reliability-servers.js';
import { cpuOf, descriptorsOf, median, pollUntil } from './reliability-proc.js';

/** What the slow clients trickle: a head that never ends (the padding field goes on forever). */
const SLOW_HEAD = Buffer.from('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: ', 'latin1');
const PADDING = 0x61; // 'a'
/** The trickle's clock: every tick, the slow connections of one slot send a byte. */
const TICK_MS = 10;
const SLOTS = 1000 / TICK_MS;
/** Slow connections opened at once (the listen backlog is 511). */
const OPENING_AT_ONCE = 100;

/**
 * @typedef {{ socket: net.Socket, sent: number, firstByteAt: number, closedAt: number,
 *   answer: string, done: boolean }} SlowConnection
 * @typedef {import('./reliability-clients.js').ClientRun & { serverCpuUs: number, cpuPerRequestUs: number }} ClientRun
 * @typedef {{ slowConnections: number, opened: number, headersTimeoutMs: number, sweepMs: number,
 *   cycles: { baseline: ClientRun, underAttack: ClientRun, ratio: number, openDuringMeasurement: number }[],
 *   baseline: ClientRun, underAttack: ClientRun, after: ClientRun, ratio: number, cpuRatio: number,
 *   openDuringMeasurement: number, closed408: number, closedBare: number, stillOpen: number,
 *   closeAfterMs: { min: number, median: number, max: number }, earlyCloses: number,
 *   lateCloses: number, client: string, serverSocketsAfter: number, serverSocketsBefore: number }} SlowlorisResult
 */

/** The sweep interval Seal's HttpService uses for these timeouts (src/http/server.ts). */
function sweepInterval(headersTimeoutMs, keepAliveTimeoutMs) {
  return Math.max(5, Math.min(1000, Math.min(headersTimeoutMs, keepAliveTimeoutMs) / 4));
}

/** Opens one slow connection and sends its first byte (which starts the server's headers timer). */
function openSlow(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    /** @type {SlowConnection} */
    const slow = { socket, sent: 0, firstByteAt: 0, closedAt: 0, answer: '', done: false };
    const finish = () => {
      if (slow.done) return;
      slow.done = true;
      slow.closedAt = performance.now();
    };
    socket.on('data', (chunk) => {
      if (slow.answer.length < 64) slow.answer += chunk.toString('latin1', 0, Math.min(chunk.length, 64));
      finish();
    });
    socket.on('end', () => {
      finish();
      socket.end();
    });
    socket.on('close', finish);
    socket.on('error', () => {});
    socket.once('connect', () => {
      slow.firstByteAt = performance.now();
      trickle(slow);
      resolve(slow);
    });
    socket.once('error', () => {
      finish();
      resolve(slow);
    });
  });
}

/** Sends the slow connection's next byte, unless the server has answered or closed. */
function trickle(slow) {
  if (slow.done || slow.socket.destroyed) return;
  const byte = slow.sent < SLOW_HEAD.length ? SLOW_HEAD[slow.sent] : PADDING;
  slow.socket.write(Buffer.of(byte));
  slow.sent++;
}

/** A phase of the normal client is measured in runs of about this long; its rate is their median. */
const RUN_SECONDS = 2;

/**
 * Runs `cycles` attacks one after another against one server. Each cycle measures the normal
 * client without slow connections (baseline), opens them, measures it again while they are all
 * open, then waits for the server to close every one; a last phase measures the client after the
 * last attack. The ratio is the median of the cycles' ratios.
 * `cpus` pins the server (`server`) and wrk (`load`) to CPUs (`taskset -c` lists), when given.
 * @param {{ slowConnections: number, headersTimeoutMs: number, phaseSeconds: number, cycles?: number,
 *   preferWrk?: boolean, cpus?: { server?: string, load?: string }, log?: (line: string) => void }} settings
 * @returns {Promise<SlowlorisResult>}
 */
export async function runSlowloris({ slowConnections, headersTimeoutMs, phaseSeconds, cycles = 1, preferWrk = true, cpus = {}, log = () => {} }) {
  const keepAliveTimeoutMs = 5_000;
  const sweepMs = sweepInterval(headersTimeoutMs, keepAliveTimeoutMs);
  if (phaseSeconds * 1000 > headersTimeoutMs - 2 * sweepMs) {
    throw new RangeError('the measurement under attack must end before the headers timeout can close a slow connection');
  }
  const server = await launchReliabilityServer('seal', {
    options: { headersTimeoutMs, keepAliveTimeoutMs, maxConnections: slowConnections + 1_000 },
    cpu: cpus.server,
  });
  // wrk takes whole seconds.
  const runs = Math.max(1, Math.floor(phaseSeconds / RUN_SECONDS));
  const runSeconds = preferWrk ? Math.max(1, Math.round(phaseSeconds / runs)) : phaseSeconds / runs;
  /** One phase of the normal client, with the server's CPU time over it (slow connections' included). */
  const measure = async () => {
    const cpuBefore = cpuOf(server.pid);
    const done = [];
    for (let i = 0; i < runs; i++) done.push(await runNormalClient(server.port, runSeconds, preferWrk, cpus.load));
    const serverCpuUs = cpuOf(server.pid) - cpuBefore;
    const requests = done.reduce((sum, r) => sum + r.requests, 0);
    return {
      via: done[0].via,
      requests,
      seconds: done.reduce((sum, r) => sum + r.seconds, 0),
      rate: median(done.map((r) => r.rate)),
      errors: done.reduce((sum, r) => sum + r.errors, 0),
      serverCpuUs,
      cpuPerRequestUs: serverCpuUs / requests,
    };
  };
  /** @type {SlowConnection[]} */
  let slow = [];
  const closeAfter = [];
  const cycleResults = [];
  let opened = 0;
  let closed408 = 0;
  let closedBare = 0;
  let stillOpen = 0;
  let openDuringMeasurement = Infinity;
  let ticker;
  try {
    const baseSockets = descriptorsOf(server.pid).sockets;
    // A warm-up, so that the first baseline is not the JIT's first seconds.
    await runNormalClient(server.port, runSeconds, preferWrk, cpus.load);
    // Every slow connection sends a byte when the tick reaches its slot: about one a second each,
    // spread over the second. The first byte went at connect time.
    let tick = 0;
    ticker = setInterval(() => {
      const slot = tick++ % SLOTS;
      for (let i = slot; i < slow.length; i += SLOTS) trickle(slow[i]);
    }, TICK_MS);

    for (let cycle = 1; cycle <= cycles; cycle++) {
      const baseline = await measure();
      slow = [];
      let next = 0;
      const opener = async () => {
        while (next < slowConnections) {
          next++;
          slow.push(await openSlow(server.port));
        }
      };
      const attackStarted = performance.now();
      await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, slowConnections) }, opener));
      const openedNow = slow.filter((s) => s.firstByteAt > 0).length;
      opened += openedNow;
      const openMs = performance.now() - attackStarted;
      const underAttack = await measure();
      const stillThere = slow.filter((s) => !s.done).length;
      openDuringMeasurement = Math.min(openDuringMeasurement, stillThere);
      const ratio = underAttack.rate / baseline.rate;
      log(
        `cycle ${cycle}: baseline ${baseline.rate.toFixed(0)} req/s; ${openedNow} slow connections opened in ${openMs.toFixed(0)} ms; ` +
          `under attack ${underAttack.rate.toFixed(0)} req/s (${ratio.toFixed(2)}×), ${stillThere} slow connections open at its end`,
      );
      cycleResults.push({ baseline, underAttack, ratio, openDuringMeasurement: stillThere });

      // Every slow connection must be closed by the headers timeout, checked every sweep.
      const deadlineMs = headersTimeoutMs + 2 * sweepMs + 2_000;
      const lastFirstByte = Math.max(...slow.map((s) => s.firstByteAt));
      await pollUntil(
        () => slow.filter((s) => !s.done).length,
        (n) => n === 0,
        Math.max(0, lastFirstByte + deadlineMs - performance.now()),
        50,
      );
      const closed = slow.filter((s) => s.done && s.firstByteAt > 0);
      for (const s of closed) closeAfter.push(s.closedAt - s.firstByteAt);
      closed408 += closed.filter((s) => s.answer.startsWith('HTTP/1.1 408')).length;
      closedBare += closed.filter((s) => s.answer === '').length;
      stillOpen += slow.filter((s) => !s.done).length;
      for (const s of slow) s.socket.destroy();
    }
    clearInterval(ticker);
    ticker = undefined;
    const after = await measure();
    log(`after: ${after.rate.toFixed(0)} req/s`);
    // The server's sockets: the slow ones must be gone from it, too (lingering ends within 2 s).
    const serverSockets = await pollUntil(() => descriptorsOf(server.pid).sockets, (n) => n <= baseSockets, 5_000);

    const sum = (phase, key) => cycleResults.reduce((total, c) => total + c[phase][key], 0);
    const baselineCpu = sum('baseline', 'serverCpuUs') / sum('baseline', 'requests');
    const attackCpu = sum('underAttack', 'serverCpuUs') / sum('underAttack', 'requests');
    return {
      client: cycleResults[0].baseline.via,
      slowConnections,
      cycles: cycleResults,
      opened,
      headersTimeoutMs,
      sweepMs,
      baseline: cycleResults[0].baseline,
      underAttack: cycleResults[0].underAttack,
      after,
      ratio: median(cycleResults.map((c) => c.ratio)),
      // Server CPU per normal request without slow connections ÷ with them (their cost included).
      cpuRatio: baselineCpu / attackCpu,
      openDuringMeasurement,
      closed408,
      closedBare,
      stillOpen,
      closeAfterMs: {
        min: Math.min(...closeAfter),
        median: median(closeAfter),
        max: Math.max(...closeAfter),
      },
      // Closed before the timeout had passed, or later than the timeout and two sweeps.
      earlyCloses: closeAfter.filter((ms) => ms < headersTimeoutMs).length,
      lateCloses: closeAfter.filter((ms) => ms > headersTimeoutMs + 2 * sweepMs).length,
      serverSocketsBefore: baseSockets,
      serverSocketsAfter: serverSockets,
    };
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    for (const s of slow) s.socket.destroy();
    await server.stop();
  }
}
