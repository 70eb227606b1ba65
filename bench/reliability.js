#!/usr/bin/env node
/**
 * Reliability under load and faults, four parts, each bounded in time:
 *
 *   npm run build && node bench/reliability.js [memory] [slowloris] [soak] [graceful] [--quick]
 *
 * - memory: 10 000 idle keep-alive connections (1 000 with --quick); the server's memory per
 *   connection, Seal vs node:http in the same run, one after the other. Target: Seal below.
 * - slowloris: 1 000 connections trickling a request head one byte a second (200 with --quick)
 *   against Seal with a 10 s headers timeout (3 s); a normal client on another connection keeps
 *   ≥ 90 % of its baseline req/s (median of 3 attacks), and every slow connection is closed at the
 *   headers timeout.
 * - soak: 60 s (10 s) of mixed load on the echo app: no failed valid request, as many file
 *   descriptors and sockets after as before, RSS flat over the second half, and the live heap
 *   after forced collections flat from halfway to the end.
 * - graceful: close() under load, 5 rounds (1): no request the handler saw goes unanswered.
 *
 * Names pick parts (all by default). Servers run in child processes (bench/lib/reliability-servers.js);
 * the clients run here, except wrk (/usr/bin/wrk) for the slowloris part's normal client when
 * installed. In the slowloris part, the server and wrk share CPU 0 and this process (the slow
 * clients) runs on CPU 1, with taskset, when the machine has two CPUs: a single-connection client's
 * req/s swings widely with where the scheduler puts it, and sharing a core also makes the attack's
 * cost on the server come straight out of the normal client's share. Linux only (/proc). The
 * process exits 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { printEnvironment, QUICK, formatRate } from './lib/harness.js';
import { runGraceful } from './lib/reliability-graceful.js';
import { runMemory } from './lib/reliability-memory.js';
import { formatKiB, formatMiB, printTable } from './lib/reliability-proc.js';
import { runSlowloris } from './lib/reliability-slowloris.js';
import { runSoak } from './lib/reliability-soak.js';

const PARTS = ['memory', 'slowloris', 'soak', 'graceful'];

const SETTINGS = {
  memory: { connections: QUICK ? 1_000 : 10_000 },
  slowloris: { slowConnections: QUICK ? 200 : 1_000, headersTimeoutMs: QUICK ? 3_000 : 10_000, phaseSeconds: QUICK ? 1 : 6, cycles: QUICK ? 1 : 3 },
  soak: { seconds: QUICK ? 10 : 60 },
  graceful: { rounds: QUICK ? 1 : 5, clients: QUICK ? 16 : 32, loadSeconds: QUICK ? 2 : 4 },
};

/** The slowloris target: the normal client keeps this share of its req/s. */
const SLOWLORIS_TARGET = 0.9;
/**
 * The soak's RSS counts as flat when the line fitted to its second half grows by less than this
 * share of its mean over that half (the samples swing by ±10 % with the collector's rhythm).
 */
const FLAT_RSS_GROWTH = 0.05;
/** And the live heap after forced collections grows by less than this from halfway to the end. */
const FLAT_HEAP_BYTES = 1024 * 1024;

const log = (line) => console.log(`  ${line}`);
const missed = [];

/** Records a target: prints it, and remembers a miss for the exit status. */
function target(part, met, text) {
  console.log(`${met ? 'target met' : 'target missed'}: ${text}`);
  if (!met) missed.push(part);
}

async function memory() {
  const { connections } = SETTINGS.memory;
  console.log(`## memory: ${connections} idle keep-alive connections, one GET each, server memory after forced GC\n`);
  const results = await runMemory({ connections, log });
  console.log('');
  printTable(
    ['server', 'connections', 'RSS before', 'RSS with them open', 'RSS after they closed', 'RSS per connection', 'heap per connection', 'heapUsed with them open'],
    results.map((r) => [
      r.server === 'seal' ? 'Seal' : 'node:http',
      String(r.connections),
      formatMiB(r.before.rss),
      formatMiB(r.open.rss),
      formatMiB(r.after.rss),
      formatKiB(r.perConnection.rss),
      formatKiB(r.perConnection.heapUsed),
      formatMiB(r.open.heapUsed),
    ]),
  );
  const seal = results.find((r) => r.server === 'seal');
  const node = results.find((r) => r.server === 'node-http');
  const ratio = seal.perConnection.rss / node.perConnection.rss;
  console.log(`\nSeal/node:http per connection: RSS ${ratio.toFixed(2)}×, heap ${(seal.perConnection.heapUsed / node.perConnection.heapUsed).toFixed(2)}×`);
  target('memory', seal.failed === 0 && node.failed === 0, `every connection opened and answered (failed: Seal ${seal.failed}, node:http ${node.failed})`);
  target('memory', ratio < 1, `Seal's RSS per idle connection below node:http's (${formatKiB(seal.perConnection.rss)} vs ${formatKiB(node.perConnection.rss)}, ${ratio.toFixed(2)}×)`);
}

/** Pins this process (the slow clients) to CPU 1, and says where the server and wrk go: CPU 0. */
function pinForSlowloris() {
  if (os.cpus().length < 2 || spawnSync('taskset', ['-V']).error !== undefined) return {};
  spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)]);
  return { server: '0', load: '0', attack: '1' };
}

function unpin() {
  if (spawnSync('taskset', ['-V']).error !== undefined) return;
  spawnSync('taskset', ['-a', '-cp', `0-${os.cpus().length - 1}`, String(process.pid)]);
}

async function slowloris() {
  const settings = SETTINGS.slowloris;
  console.log(
    `## slowloris: ${settings.slowConnections} connections sending a head one byte a second, ` +
      `headers timeout set to ${settings.headersTimeoutMs / 1000} s for the run; a normal client on one keep-alive connection; ` +
      `${settings.cycles} attack(s), each phase ${settings.phaseSeconds} s\n`,
  );
  const cpus = pinForSlowloris();
  console.log(
    cpus.server === undefined
      ? 'not pinned (no taskset or one CPU)\n'
      : `the server and the normal client share CPU ${cpus.server}, the slow clients (this process) run on CPU ${cpus.attack}: the attack's cost on the server comes out of the normal client's core\n`,
  );
  let r;
  try {
    r = await runSlowloris({ ...settings, cpus, log });
  } finally {
    unpin();
  }
  console.log('');
  const cpu = (run) => `${run.cpuPerRequestUs.toFixed(2)} µs`;
  const rows = [];
  r.cycles.forEach((c, i) => {
    rows.push([`${i + 1}: baseline (no slow connections)`, formatRate(c.baseline.rate), String(c.baseline.errors), cpu(c.baseline), '1.00×']);
    rows.push([`${i + 1}: under attack (${c.openDuringMeasurement} slow connections open)`, formatRate(c.underAttack.rate), String(c.underAttack.errors), cpu(c.underAttack), `${c.ratio.toFixed(2)}×`]);
  });
  rows.push(['after the last attack', formatRate(r.after.rate), String(r.after.errors), cpu(r.after), `${(r.after.rate / r.cycles.at(-1).baseline.rate).toFixed(2)}×`]);
  printTable(['attack: phase', 'normal client req/s', 'errors', 'server CPU per normal request', 'req/s ÷ baseline'], rows);
  console.log(
    `\n(normal client: ${r.client === 'wrk' ? 'wrk -t1 -c1' : 'a keep-alive loop in this process'}; req/s is the median of each phase's runs of about 2 s; ` +
      'server CPU per request includes what the slow connections cost it)',
  );
  console.log(`req/s under attack ÷ baseline, median of the attacks: ${r.ratio.toFixed(2)}×; server CPU efficiency under attack ÷ baseline: ${r.cpuRatio.toFixed(2)}×\n`);
  printTable(
    ['slow connections', 'closed with 408', 'closed without answer', 'still open', 'closed after first byte: min', 'median', 'max', 'expected'],
    [
      [
        String(r.opened),
        String(r.closed408),
        String(r.closedBare),
        String(r.stillOpen),
        `${(r.closeAfterMs.min / 1000).toFixed(2)} s`,
        `${(r.closeAfterMs.median / 1000).toFixed(2)} s`,
        `${(r.closeAfterMs.max / 1000).toFixed(2)} s`,
        `${r.headersTimeoutMs / 1000}–${(r.headersTimeoutMs + r.sweepMs) / 1000} s (timeout + one ${r.sweepMs} ms sweep)`,
      ],
    ],
  );
  console.log(`server sockets: ${r.serverSocketsBefore} before, ${r.serverSocketsAfter} after (listener and IPC channel)\n`);
  const errors = r.cycles.reduce((sum, c) => sum + c.baseline.errors + c.underAttack.errors, 0) + r.after.errors;
  target('slowloris', r.ratio >= SLOWLORIS_TARGET, `the normal client kept ${(r.ratio * 100).toFixed(0)} % of its req/s (≥ ${SLOWLORIS_TARGET * 100} %)`);
  target('slowloris', errors === 0, `no errors for the normal client (${errors})`);
  target(
    'slowloris',
    r.opened === r.slowConnections * settings.cycles && r.stillOpen === 0 && r.earlyCloses === 0 && r.lateCloses === 0,
    `every slow connection closed between the timeout and two sweeps after it (${r.earlyCloses} early, ${r.lateCloses} late, ${r.stillOpen} still open)`,
  );
}

async function soak() {
  const { seconds } = SETTINGS.soak;
  console.log(`## soak: ${seconds} s of mixed load on the echo app (GET, urlencoded POST, multipart uploads of 100–400 KiB, pipelined bursts of 8, clients vanishing mid-request)\n`);
  const r = await runSoak({ seconds, log });
  console.log('');
  const mix = Object.entries(r.byAction).map(([name, n]) => `${name} ${n}`).join(', ');
  console.log(`workers: ${r.workers}; actions: ${mix}; client connections: ${r.connections}`);
  console.log(`server: the handler saw ${r.server.seen} requests and answered ${r.server.answered}; errors reported: ${JSON.stringify(r.server.errors)}`);
  console.log(`RSS every second (MiB): ${r.rss.samples.map((b) => (b / 1024 / 1024).toFixed(0)).join(' ')}\n`);
  printTable(
    ['valid requests', 'answered exactly', 'failed', 'vanished clients', 'fds before → after', 'sockets before → after', 'RSS start / peak / end', 'RSS slope, 2nd half', 'heap after GC: before / halfway / end'],
    [
      [
        String(r.valid),
        String(r.answered),
        String(r.failures),
        String(r.vanished),
        `${r.fdsBefore.total} → ${r.fdsAfter.total}`,
        `${r.fdsBefore.sockets} → ${r.fdsAfter.sockets}`,
        `${formatMiB(r.rss.start)} / ${formatMiB(r.rss.peak)} / ${formatMiB(r.rss.end)}`,
        `${r.rss.slopeMiBPerMin.toFixed(2)} MiB/min (${(r.rss.secondHalfGrowth * 100).toFixed(1)} % over it)`,
        `${formatMiB(r.heapUsed.before)} / ${formatMiB(r.heapUsed.mid)} / ${formatMiB(r.heapUsed.after)}`,
      ],
    ],
  );
  console.log('');
  for (const sample of r.failureSamples) console.log(`  failure: ${sample}`);
  target('soak', r.failures === 0 && r.answered === r.valid, `every valid request answered 200 with its exact echo (${r.failures} failed of ${r.valid})`);
  target('soak', r.fdsAfter.total <= r.fdsBefore.total && r.fdsAfter.sockets <= r.fdsBefore.sockets, `no leaked descriptor or socket (${r.fdsBefore.total} → ${r.fdsAfter.total} fds)`);
  target(
    'soak',
    r.rss.secondHalfGrowth < FLAT_RSS_GROWTH,
    `RSS flat over the second half (fitted growth ${(r.rss.secondHalfGrowth * 100).toFixed(1)} % of its mean, < ${FLAT_RSS_GROWTH * 100} %)`,
  );
  const heapGrowth = r.heapUsed.after - r.heapUsed.mid;
  target('soak', heapGrowth < FLAT_HEAP_BYTES, `live heap after GC flat from halfway to the end (${formatMiB(heapGrowth)}, < ${formatMiB(FLAT_HEAP_BYTES)})`);
}

async function graceful() {
  const { rounds, clients, loadSeconds } = SETTINGS.graceful;
  console.log(`## graceful: close() after ${loadSeconds} s of load from ${clients} clients (half keep-alive, half a connection per request), handler answering 1 ms later; ${rounds} round(s)\n`);
  const results = [];
  for (let round = 1; round <= rounds; round++) results.push(await runGraceful({ clients, loadSeconds, log: (line) => log(`round ${round}: ${line}`) }));
  console.log('');
  printTable(
    ['round', 'req/s before close', 'handler saw', 'complete responses', 'lost', 'finished after close()', 'unread when closed', 'refused after close', 'other errors', 'close() took'],
    results.map((r, i) => [
      String(i + 1),
      formatRate(r.rateBeforeClose),
      String(r.serverSeen),
      String(r.complete),
      String(r.lost),
      String(r.completeAfterClose),
      String(r.unanswered),
      String(r.refused),
      String(r.otherErrors),
      `${r.closeMs.toFixed(0)} ms`,
    ]),
  );
  console.log('');
  for (const r of results) for (const sample of r.errorSamples) console.log(`  error: ${sample}`);
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  const seen = results.reduce((sum, r) => sum + r.serverSeen, 0);
  target('graceful', lost === 0, `no accepted request lost (${lost} of ${seen} over ${rounds} round(s))`);
  target('graceful', results.every((r) => r.otherErrors === 0), 'no error answers');
}

const RUNNERS = { memory, slowloris, soak, graceful };

const args = process.argv.slice(2);
// bench/run.js passes its flags to every suite; those this suite has no use for are ignored.
const ignored = args.filter((a) => !PARTS.includes(a) && a !== '--quick');
if (ignored.length > 0) console.log(`(ignoring ${ignored.join(' ')}: this suite takes part names and --quick)`);
const picked = args.filter((a) => PARTS.includes(a));
printEnvironment('Reliability: memory per connection, slowloris, soak, graceful stop');
for (const part of picked.length > 0 ? picked : PARTS) {
  const started = Date.now();
  await RUNNERS[part]();
  console.log(`\n(${part}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
if (missed.length > 0) {
  console.log(`targets missed in: ${[...new Set(missed)].join(', ')}`);
  process.exitCode = 1;
} else console.log('every target met');
