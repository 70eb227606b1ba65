#!/usr/bin/env node
/**
 * `seal serve --workers 1` vs `--workers 2` under wrk: how far a second process scales the hello
 * app on this machine, and what limits it.
 *
 *   npm run build && node bench/workers.js [--quick] [--rounds N] [--seconds S]
 *
 * Each round starts `node dist/cli.js serve --app hello --quiet --port 0 --workers N` for N = 1
 * and 2 (the order rotating by round), warms it up, then runs wrk's keep-alive GET scenario
 * (lib/load-wrk.js: one wrk thread, 50 connections). Nothing is pinned: the servers and wrk share
 * the machine's cores, as they would in production with the load coming from outside — except
 * that here the load generator competes for the same cores. So besides req/s the report gives the
 * CPU time each side used during the run (server: the primary and every worker, from
 * /proc/PID/stat; wrk: from `times`), in cores, and what other processes took (/proc/stat), so the
 * ceiling is visible: with 2 cores, server + wrk + others cannot exceed 2.
 *
 * The report gives the median of the rounds and the 2/1 ratio as the median of the same-round
 * ratios. `--quick`: 1 round of 3 s. Without wrk it says so and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeErrors, runWrk, writeScripts, wrkVersion } from './lib/load-wrk.js';
import { formatRate, roundsAndSeconds } from './lib/harness.js';
import { listeningUrl } from './lib/launch.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', 'dist', 'cli.js');
const WORKER_COUNTS = [1, 2];


const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time (µs, user + system, every thread) a process has used; 0 once it is gone. */
function cpuOf(pid) {
  try {
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Busy time (µs) of every CPU together, from /proc/stat. */
function machineBusy() {
  const line = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0];
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1e6) / CLOCK_TICKS;
}

/** The primary's children: its workers (or none, with --workers 1). */
function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts `seal serve --app hello --workers N` and resolves once it printed its listening line. */
function startSeal(workers) {
  const child = spawn(process.execPath, [CLI, 'serve', '--app', 'hello', '--quiet', '--port', '0', '--workers', String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return listeningUrl(child, `seal --workers ${workers}`, stop).then((url) => ({ url, pids: [child.pid, ...childrenOf(child.pid)], stop }));
}

async function measure(workers, script, { seconds, warmupSeconds }) {
  const seal = await startSeal(workers);
  try {
    if (seal.pids.length !== workers + (workers > 1 ? 1 : 0)) throw new Error(`expected ${workers} workers, found processes ${seal.pids.join(', ')}`);
    await runWrk({ url: `${seal.url}/`, script, seconds: warmupSeconds });
    const serverBefore = seal.pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
    const busyBefore = machineBusy();
    const started = process.hrtime.bigint();
    const summary = await runWrk({ url: `${seal.url}/`, script, seconds });
    const wallUs = Number(process.hrtime.bigint() - started) / 1e3;
    const serverUs = seal.pids.reduce((sum, pid) => sum + cpuOf(pid), 0) - serverBefore;
    const busyUs = machineBusy() - busyBefore;
    const wrkUs = summary.wrkUserUs + summary.wrkSystemUs;
    const errors = describeErrors(summary);
    if (errors !== '') throw new Error(`--workers ${workers}: ${errors}`);
    return {
      rps: summary.requests / (summary.durationUs / 1e6),
      p50Us: summary.p50Us,
      p99Us: summary.p99Us,
      serverCores: serverUs / wallUs,
      wrkCores: wrkUs / wallUs,
      othersCores: Math.max(0, (busyUs - serverUs - wrkUs) / wallUs),
      serverUsPerRequest: serverUs / summary.requests,
    };
  } finally {
    await seal.stop();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const options = roundsAndSeconds(process.argv.slice(2), 'bench/workers.js', { rounds: [1, 3], seconds: [3, 10] });
  const version = wrkVersion();
  if (version === null) {
    console.log('wrk is not installed: nothing to measure (apt-get install wrk)');
    return;
  }
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-workers-'));
  const script = writeScripts(scriptDir).get('keep-alive');
  console.log(`${version}; node ${process.version}; ${os.availableParallelism()} CPUs; keep-alive GET, 50 connections, one wrk thread`);
  console.log(`${options.rounds} round(s) of ${options.seconds} s per server, nothing pinned: seal and wrk share the CPUs\n`);

  const runs = new Map(WORKER_COUNTS.map((n) => [n, []]));
  const ratios = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? WORKER_COUNTS : [...WORKER_COUNTS].reverse();
      const results = new Map();
      for (const workers of order) {
        const result = await measure(workers, script, options);
        results.set(workers, result);
        runs.get(workers).push(result);
        console.log(
          `round ${round + 1} --workers ${workers}: ${formatRate(result.rps)} req/s; CPU in cores: seal ${result.serverCores.toFixed(2)}, ` +
            `wrk ${result.wrkCores.toFixed(2)}, others ${result.othersCores.toFixed(2)}`,
        );
      }
      ratios.push(results.get(2).rps / results.get(1).rps);
    }
  } finally {
    fs.rmSync(scriptDir, { recursive: true, force: true });
  }

  console.log('\n| --workers | req/s | p50 | p99 | seal CPU (cores) | wrk CPU (cores) | others (cores) | seal CPU per request |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [workers, results] of runs) {
    const m = (key) => median(results.map((r) => r[key]));
    console.log(
      `| ${workers} | ${formatRate(m('rps'))} | ${(m('p50Us') / 1000).toFixed(2)} ms | ${(m('p99Us') / 1000).toFixed(2)} ms | ` +
        `${m('serverCores').toFixed(2)} | ${m('wrkCores').toFixed(2)} | ${m('othersCores').toFixed(2)} | ${m('serverUsPerRequest').toFixed(1)} µs |`,
    );
  }
  const one = runs.get(1);
  const two = runs.get(2);
  const total = (r) => r.serverCores + r.wrkCores + r.othersCores;
  console.log(`\n--workers 2 / --workers 1: ${median(ratios).toFixed(2)}x req/s (median of same-round ratios)`);
  console.log(
    `CPU busy during the runs: ${median(one.map(total)).toFixed(2)} cores with 1 worker, ${median(two.map(total)).toFixed(2)} with 2, ` +
      `of ${os.availableParallelism()}; wrk alone takes ${median(two.map((r) => r.wrkCores)).toFixed(2)} of them with 2 workers.`,
  );
}

main().catch((error) => {
  console.error(`bench/workers.js: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
