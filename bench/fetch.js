#!/usr/bin/env node
/**
 * The fetch-adapter benchmark: the same Hono hello-world app on Seal (`toHandler`, through
 * `serveFetch`) and on @hono/node-server (node:http), in one run, driven by wrk.
 *
 *   npm run build && node bench/fetch.js [--quick] [--rounds N] [--seconds S] [--retries N]
 *                                        [--json FILE] [--profile DIR] [--reference]
 *
 * Each server runs in its own process pinned to CPU 0, wrk (one thread, 50 keep-alive
 * connections) to CPU 1, with `taskset` when the machine has two CPUs. The servers take turns,
 * the order alternating every round; the report gives medians over the rounds, and the ratio is
 * the median of the ratios of runs made in the same round. Server CPU time per request comes from
 * the server process itself. A run during which other processes took more than 5 % of the
 * server's or wrk's CPU is repeated (`--retries`, 3 by default). `--quick`: 1 round of 2 s.
 * `--profile DIR` starts the servers with `node --cpu-prof --cpu-prof-dir=DIR`. `--reference` adds
 * a third server, Seal answering the same bytes from a plain handler: what Hono and the adapter cost.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatRate, formatRatio, markdownTable } from './lib/harness.js';
import { measureRun } from './lib/measure-run.js';
import { formatCpu, formatMs, median } from './lib/load-report.js';
import { runWrk, SCENARIOS, writeScripts, wrkVersion } from './lib/load-wrk.js';
import { HELLO } from './lib/fetch-app.js';
import { launchServer, REFERENCE, SERVER_LABELS, SERVER_NAMES } from './lib/fetch-servers.js';
import { PAUSE_MS, OTHERS_TOLERATED, pinning, sleep, disturbance, disturbed } from './lib/cpus.js';

/** Seal's goal on the hello-world route: at least this many times @hono/node-server's req/s. */
const TARGET_RATIO = 1.5;

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const value = (flag) => {
    const at = argv.indexOf(flag);
    if (at === -1) return undefined;
    const v = argv[at + 1];
    if (v === undefined || v.startsWith('--')) usage(`${flag} needs a value`);
    return v;
  };
  const number = (flag, fallback, least = 1) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n >= least)) usage(`${flag} must be a number ≥ ${least}`);
    return n;
  };
  for (const arg of argv) {
    if (arg.startsWith('--') && !['--quick', '--rounds', '--seconds', '--retries', '--json', '--profile', '--reference'].includes(arg)) usage(`unknown option ${arg}`);
  }
  return {
    quick,
    rounds: number('--rounds', quick ? 1 : 5),
    seconds: number('--seconds', quick ? 2 : 5),
    retries: number('--retries', quick ? 1 : 3, 0),
    warmupSeconds: quick ? 1 : 2,
    json: value('--json'),
    profileDir: value('--profile'),
    servers: argv.includes('--reference') ? [...SERVER_NAMES, REFERENCE] : SERVER_NAMES,
  };
}

function usage(problem) {
  console.error(`bench/fetch.js: ${problem}`);
  console.error('usage: node bench/fetch.js [--quick] [--rounds N] [--seconds S] [--retries N] [--json FILE] [--profile DIR] [--reference]');
  process.exit(2);
}

/** Checks that a server answers the app's routes as the app says, before it is timed. */
async function checkServer(url) {
  const hello = await fetch(`${url}/`);
  const text = await hello.text();
  if (hello.status !== 200 || text !== HELLO || !/^text\/plain/.test(hello.headers.get('content-type') ?? '')) {
    throw new Error(`GET / gave ${hello.status} ${JSON.stringify(text)}`);
  }
  if (hello.headers.get('content-length') !== String(HELLO.length)) throw new Error('GET / has no exact Content-Length');
  const json = await fetch(`${url}/json/7`);
  const body = await json.text();
  if (json.status !== 200 || body !== '{"id":"7"}') throw new Error(`GET /json/7 gave ${json.status} ${body}`);
}



function describeRun(run) {
  const warnings = [];
  if (run.errors) warnings.push(`wrk errors: ${run.errors}`);
  if (Math.abs(run.served - run.requests) > Math.max(0.01 * run.requests, 1000)) warnings.push(`the app counted ${run.served} requests`);
  if (disturbed(run)) {
    const pct = (share) => `${Math.round(share * 100)} %`;
    warnings.push(`other processes took ${pct(run.othersOnServerCpu)} of the server's CPU, ${pct(run.othersOnLoadCpu)} of wrk's`);
  }
  return (
    `${formatRate(run.rps).padStart(8)} req/s  p50 ${formatMs(run.p50Us)}  p99 ${formatMs(run.p99Us)}  ` +
    `${formatCpu(run.cpuUsPerRequest)} CPU/req  server busy ${Math.round(run.serverBusy * 100)} %` +
    (warnings.length > 0 ? `  WARNING: ${warnings.join('; ')}` : '')
  );
}

async function main() {
  const settings = parseArgs(process.argv.slice(2));
  const wrk = wrkVersion();
  if (wrk === null) {
    console.log('bench/fetch.js: wrk is not installed, so this benchmark is skipped (apt-get install wrk).');
    return;
  }
  if (!fs.existsSync(new URL('../dist/adapters/index.js', import.meta.url))) {
    console.error('bench/fetch.js: dist/ is missing or old; run `npm run build` first.');
    process.exitCode = 1;
    return;
  }
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const pins = pinning(cpus);
  const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-fetch-'));
  const script = writeScripts(scriptDir).get('keep-alive');
  const keepAlive = SCENARIOS.find((s) => s.name === 'keep-alive');
  const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';

  console.log('# Fetch adapter: a Hono hello-world app on Seal vs on @hono/node-server');
  console.log(`${new Date().toISOString()}, node ${process.version}, ${cpuModel}, ${cpus} CPUs, ${wrk}`);
  console.log(
    `${keepAlive.title}; ${settings.rounds} round(s) × ${settings.seconds} s per server after a ${settings.warmupSeconds} s warm-up; ` +
      (pins.server === undefined ? 'unpinned' : `servers on CPU ${pins.server}, wrk on CPU ${pins.load}`) +
      (settings.quick ? '; --quick: a smoke run, the numbers mean little' : ''),
  );
  console.log('');

  const servers = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  process.on('SIGINT', () => {
    void stopAll().then(() => process.exit(130));
  });
  try {
    for (const name of settings.servers) {
      const nodeArgs = settings.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(settings.profileDir)}`];
      const server = await launchServer(name, { cpu: pins.server, nodeArgs });
      servers.push(server);
      await checkServer(server.url).catch((error) => {
        throw new Error(`${SERVER_LABELS[name]} answers wrongly, so it is not timed: ${error.message}`);
      });
      console.log(`${SERVER_LABELS[name].padEnd(18)} pid ${server.pid}, ${server.url}: answers / and /json/:id correctly`);
    }
    console.log('');
    for (const server of servers) {
      await runWrk({ url: `${server.url}/`, script, seconds: settings.warmupSeconds, cpu: pins.load });
      await sleep(PAUSE_MS);
    }

    const runs = new Map(servers.map((s) => [s.name, []]));
    for (let round = 0; round < settings.rounds; round++) {
      // The order rotates every round (with two servers: alternates), so no server always runs first.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const server of order) {
        const label = `round ${round + 1}/${settings.rounds}  ${SERVER_LABELS[server.name].padEnd(18)}`;
        let run;
        for (let attempt = 1; ; attempt++) {
          const tried = await measureRun(server, script, settings.seconds, pins);
          await sleep(PAUSE_MS);
          if (run === undefined || disturbance(tried) < disturbance(run)) run = tried;
          run.attempts = attempt;
          if (!disturbed(tried) || attempt > settings.retries) break;
          console.log(`${label} ${describeRun(tried)}  (run again)`);
        }
        runs.get(server.name).push(run);
        console.log(`${label} ${describeRun(run)}`);
      }
    }
    console.log('');
    report(settings, runs);
  } finally {
    await stopAll();
    fs.rmSync(scriptDir, { recursive: true, force: true });
  }
}

function report(settings, runs) {
  const seal = runs.get('seal');
  const node = runs.get('hono-node');
  const ratio = median(seal.map((run, i) => run.rps / node[i].rps));
  const cpuRatio = median(seal.map((run, i) => node[i].cpuUsPerRequest / run.cpuUsPerRequest));
  const rows = [];
  for (const [name, list] of runs) {
    rows.push([
      SERVER_LABELS[name],
      formatRate(median(list.map((r) => r.rps))),
      formatMs(median(list.map((r) => r.p50Us))),
      formatMs(median(list.map((r) => r.p99Us))),
      formatCpu(median(list.map((r) => r.cpuUsPerRequest))),
      formatRatio(median(list.map((run, i) => run.rps / node[i].rps)), 1),
      formatRatio(median(list.map((run, i) => node[i].cpuUsPerRequest / run.cpuUsPerRequest)), 1),
    ]);
  }
  console.log(`## Hono hello world, keep-alive GET, 50 connections (median of ${settings.rounds})`);
  console.log('');
  console.log(markdownTable(['server', 'req/s', 'p50', 'p99', 'CPU/req', 'req/s ÷ hono-node', 'CPU eff. ÷ hono-node'], rows));
  console.log('');
  console.log('p50, p99: latency wrk measured (no coordinated-omission correction). CPU/req: server process CPU time per response.');
  console.log('Ratios: medians of the ratios of runs made in the same round.');
  const all = [...runs.values()].flat();
  const left = all.filter(disturbed).length;
  if (left > 0) console.log(`${left} of ${all.length} runs were disturbed by other processes (over ${OTHERS_TOLERATED * 100} % of a CPU).`);
  console.log('');
  console.log(`target: req/s ≥ ${TARGET_RATIO} × @hono/node-server: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'} (${formatRatio(ratio, 1)})`);
  if (settings.json !== undefined) {
    fs.writeFileSync(settings.json, `${JSON.stringify({ settings, ratio, cpuRatio, runs: Object.fromEntries(runs) }, null, 2)}\n`);
    console.log(`results written to ${settings.json}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`bench/fetch.js: ${error.message}`);
  process.exitCode = 1;
}
process.exit();
