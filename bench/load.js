#!/usr/bin/env node
/**
 * The load benchmark of the server core: Seal vs node:http vs a raw `net` server that answers
 * every request head with a canned response (the ceiling a JS server on net.Socket can reach),
 * all giving the same hello-world response, driven by wrk.
 *
 *   npm run build && node bench/load.js [--quick] [--json FILE] [--rounds N] [--seconds S]
 *                      [--retries N] [--scenarios a,b] [--servers a,b] [--profile DIR] [--steady-malloc]
 *   node bench/load.js --report FILE      (the tables again from a --json FILE)
 *
 * Each server runs in its own process pinned to CPU 0, wrk to CPU 1 (with `taskset`, when the
 * machine has two CPUs). The scenarios run one after the other, each on server processes started
 * for it and stopped after it: with every scenario interleaved round by round on the same
 * processes, the machine of the README slowed some servers for minutes after another scenario's
 * load (node:http by a quarter, all at once, mid-run; see bench/tls.js's PHASES), so a scenario's
 * figures depended on what ran before it. Within a scenario the servers take turns run by run,
 * the order rotating every round; the report gives the median of the rounds, and each ratio as
 * the median of the same-round ratios.
 * Server CPU time per request comes from the server process itself (`process.cpuUsage()`, every
 * thread) read before and after each run: where wrk saturates its own CPU (pipelining), req/s
 * measures wrk and CPU per request measures the server. Latency percentiles are the ones wrk
 * measured, without its coordinated-omission correction (see lib/load-wrk.js). Before it is timed
 * each server must answer every scenario's requests correctly (lib/load-check.js).
 *
 * Scenarios: keep-alive GET, pipelined GET (16 per write), POST with a 64 KiB body; all with 50
 * connections. `--quick`: 1 round of 2 s, a smoke run. Without wrk it says so and exits 0.
 *
 * The machine may be shared: a run during which other processes took more than 5 % of the
 * server's or wrk's CPU is repeated (`--retries`, 3 by default), and the report says how many were.
 * `--profile DIR` starts the servers with `node --cpu-prof --cpu-prof-dir=DIR`.
 *
 * Each scenario also prints the servers' minor page faults per request. With glibc's default
 * settings, the 64 KiB read buffers of the POST scenario make the heap grow and shrink between
 * garbage collections, the allocator hands pages back to the kernel, and faulting them in again
 * (up to several faults per request) swings POST figures by a third from one server process to
 * the next, for Seal and node:http alike. `--steady-malloc` starts every server with the same
 * glibc settings that keep freed memory (STEADY_MALLOC below): a steadier comparison, though not
 * the default a server runs with.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkServer } from './lib/load-check.js';
import { compare, faultsLine, formatCpu, formatMs, readmeTable, scenarioTable, SERVER_LABELS, targets } from './lib/load-report.js';
import { launchServer, SERVER_NAMES } from './lib/load-servers.js';
import { runWrk, SCENARIOS, writeScripts, wrkVersion } from './lib/load-wrk.js';
import { formatRate } from './lib/harness.js';
import { measureRun } from './lib/measure-run.js';
import { PAUSE_MS, OTHERS_TOLERATED, pinning, sleep, disturbance, disturbed } from './lib/cpus.js';


/**
 * glibc malloc settings (environment variables) under which freed memory stays in the process:
 * no trimming of the heap's top, no mmap for large blocks, 64 MiB of headroom per heap growth.
 */
const STEADY_MALLOC = { MALLOC_TRIM_THRESHOLD_: '536870912', MALLOC_MMAP_THRESHOLD_: '536870912', MALLOC_TOP_PAD_: '67108864' };

function parseArgs(argv) {
  const quick = argv.includes('--quick');
  const value = (flag) => {
    const at = argv.indexOf(flag);
    if (at === -1) return undefined;
    const v = argv[at + 1];
    if (v === undefined || v.startsWith('--')) usage(`${flag} needs a value`);
    return v;
  };
  const list = (flag, known) => {
    const v = value(flag);
    if (v === undefined) return known;
    const names = v.split(',');
    for (const n of names) if (!known.includes(n)) usage(`unknown ${flag.slice(2)} "${n}" (known: ${known.join(', ')})`);
    return names;
  };
  const number = (flag, fallback, least = 1) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n >= least)) usage(`${flag} must be a number ≥ ${least}`);
    return n;
  };
  return {
    quick,
    json: value('--json'),
    reportFrom: value('--report'),
    profileDir: value('--profile'),
    rounds: number('--rounds', quick ? 1 : 5),
    retries: number('--retries', quick ? 1 : 3, 0),
    seconds: number('--seconds', quick ? 2 : 5),
    warmupSeconds: quick ? 1 : 2,
    scenarios: list('--scenarios', SCENARIOS.map((s) => s.name)),
    servers: list('--servers', SERVER_NAMES),
    steadyMalloc: argv.includes('--steady-malloc'),
  };
}

function usage(problem) {
  console.error(`bench/load.js: ${problem}`);
  console.error(
    'usage: node bench/load.js [--quick] [--json FILE] [--rounds N] [--seconds S] [--retries N] ' +
      '[--scenarios a,b] [--servers a,b] [--profile DIR] [--steady-malloc] | --report FILE',
  );
  process.exit(2);
}

function environment(settings, wrk, pins, cpus) {
  const cpuModel =
    spawnSync('lscpu', [], { encoding: 'utf8' })
      .stdout?.split('\n')
      .find((l) => l.startsWith('Model name:'))
      ?.replace(/^Model name:\s*/, '') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8', cwd: new URL('..', import.meta.url) }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return {
    date: new Date().toISOString(),
    // What was measured: dist/ is built from src/, which may hold uncommitted changes.
    source: commit === '' ? 'unknown' : `${commit}${changed > 0 ? ` + ${changed} uncommitted file(s) in src/` : ''}`,
    node: process.version,
    cpu: cpuModel,
    cpus,
    wrk,
    pinned: pins.server === undefined ? null : { server: pins.server, wrk: pins.load },
    rounds: settings.rounds,
    seconds: settings.seconds,
    quick: settings.quick,
    steadyMalloc: settings.steadyMalloc,
  };
}


/** A run's one-line progress report, with anything suspicious about it. */
function describeRun(run) {
  const warnings = [];
  if (run.errors) warnings.push(`wrk errors: ${run.errors}`);
  if (!run.latencyExact) warnings.push("percentiles are wrk's own (corrected) ones");
  // wrk counts responses; the server counts requests it began answering (a few are in flight at the end).
  const slack = Math.max(0.01 * run.requests, 1000);
  if (Math.abs(run.served - run.requests) > slack) warnings.push(`server counted ${run.served} requests`);
  if (disturbed(run)) {
    const pct = (share) => `${Math.round(share * 100)} %`;
    warnings.push(`other processes took ${pct(run.othersOnServerCpu)} of the server's CPU, ${pct(run.othersOnLoadCpu)} of wrk's`);
  }
  return (
    `${formatRate(run.rps).padStart(10)} req/s  p50 ${formatMs(run.p50Us)}  p99 ${formatMs(run.p99Us)}  ` +
    `${formatCpu(run.cpuUsPerRequest)} CPU/req  busy: server ${Math.round(run.serverBusy * 100)} %, wrk ${Math.round(run.wrkBusy * 100)} %` +
    (warnings.length > 0 ? `  WARNING: ${warnings.join('; ')}` : '')
  );
}

/** `--report FILE`: the tables again from a `--json` file, without measuring. */
function reportFromJson(file, settings) {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const env = saved.environment;
  const scenarios = saved.scenarios.map((s) => ({ name: s.name, title: s.label, note: s.note }));
  const runs = new Map(saved.scenarios.map((s) => [s.name, new Map(Object.entries(s.runs))]));
  report({ ...settings, rounds: env.rounds, seconds: env.seconds, json: undefined }, env, scenarios, runs);
}

async function main() {
  const settings = parseArgs(process.argv.slice(2));
  if (settings.reportFrom !== undefined) return reportFromJson(settings.reportFrom, settings);
  const wrk = wrkVersion();
  if (wrk === null) {
    console.log('bench/load.js: wrk is not installed, so the load benchmark is skipped.');
    console.log('Install it (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk) and run it again.');
    return;
  }
  if (!fs.existsSync(new URL('../dist/http/server.js', import.meta.url))) {
    console.error('bench/load.js: dist/ is missing; run `npx tsc -p tsconfig.json` (or `npm run build`) first.');
    process.exitCode = 1;
    return;
  }
  // Counted before pinning: availableParallelism() counts the CPUs this process may run on.
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const pins = pinning(cpus);
  const env = environment(settings, wrk, pins, cpus);
  const scenarios = SCENARIOS.filter((s) => settings.scenarios.includes(s.name));
  const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-load-'));
  const scripts = writeScripts(scriptDir);

  console.log('# Load benchmark: Seal vs node:http vs raw net (hello world)');
  console.log(`${env.date}, node ${env.node}, ${env.cpu}, ${env.cpus} CPUs, ${wrk}`);
  console.log(`Seal: dist/ built from ${env.source}`);
  console.log(
    `${settings.rounds} round(s) × ${settings.seconds} s per server and scenario, after a ${settings.warmupSeconds} s warm-up; ` +
      (env.pinned ? `servers on CPU ${pins.server}, wrk on CPU ${pins.load} (1 thread)` : 'unpinned') +
      (settings.quick ? '; --quick: a smoke run, the numbers mean little' : '') +
      (settings.steadyMalloc ? '; --steady-malloc: every server keeps freed memory (glibc settings)' : ''),
  );
  console.log('');

  /** @type {import('./lib/load-servers.js').ServerProcess[]} */
  const servers = [];
  const cleanUp = () => {
    for (const server of servers) server.stop();
    fs.rmSync(scriptDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    /** scenario → server → runs */
    const runs = new Map(scenarios.map((s) => [s.name, new Map(settings.servers.map((name) => [name, []]))]));
    // One scenario at a time, each on server processes of its own (see the header).
    for (const scenario of scenarios) {
      await launchServers(settings, pins, servers);
      console.log('');
      for (const server of servers) {
        await runWrk({ url: `${server.url}/`, script: scripts.get(scenario.name), seconds: settings.warmupSeconds, cpu: pins.load });
        await sleep(PAUSE_MS);
      }
      for (let round = 0; round < settings.rounds; round++) {
        // Rotate the order every round, so that no server always runs first or last.
        const order = servers.map((_, i) => servers[(i + round) % servers.length]);
        for (const server of order) {
          const label = `round ${round + 1}/${settings.rounds}  ${scenario.name.padEnd(10)} ${SERVER_LABELS[server.name].padEnd(10)}`;
          // A disturbed run is repeated; the least disturbed attempt is kept.
          let run;
          for (let attempt = 1; ; attempt++) {
            const tried = await measureRun(server, scripts.get(scenario.name), settings.seconds, pins);
            await sleep(PAUSE_MS);
            if (run === undefined || disturbance(tried) < disturbance(run)) run = tried;
            run.attempts = attempt;
            if (!disturbed(tried) || attempt > settings.retries) break;
            console.log(`${label} ${describeRun(tried)}  (run again)`);
          }
          runs.get(scenario.name).get(server.name).push(run);
          console.log(`${label} ${describeRun(run)}`);
        }
      }
      for (const server of servers.splice(0)) await server.stop();
      console.log('');
    }
    report(settings, env, scenarios, runs);
  } finally {
    cleanUp();
  }
}

/** Starts every server of this run (into `servers`) and checks that each answers correctly. */
async function launchServers(settings, pins, servers) {
  for (const name of settings.servers) {
    const nodeArgs = settings.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(settings.profileDir)}`];
    const serverEnv = settings.steadyMalloc ? { ...process.env, ...STEADY_MALLOC } : process.env;
    const server = await launchServer(name, { cpu: pins.server, nodeArgs, env: serverEnv });
    servers.push(server);
    await checkServer(server.url).catch((error) => {
      throw new Error(`${SERVER_LABELS[name]} answers wrongly, so it is not timed: ${error.message}`);
    });
    console.log(`${SERVER_LABELS[name].padEnd(10)} pid ${server.pid}, ${server.url}: answers GET, POST 64 KiB and pipelined requests correctly`);
  }
}

function report(settings, env, scenarios, runs) {
  const results = [];
  const byScenario = new Map();
  for (const scenario of scenarios) {
    const rows = compare(runs.get(scenario.name));
    byScenario.set(scenario.name, rows);
    results.push({ name: scenario.name, label: scenario.title, note: scenario.note, rows, runs: Object.fromEntries(runs.get(scenario.name)) });
    console.log(`## ${scenario.title} (median of ${settings.rounds})`);
    console.log(`   ${scenario.note}`);
    console.log(scenarioTable(rows));
    const faults = faultsLine(rows);
    if (faults !== '') console.log(faults);
    console.log('');
  }
  console.log('p50, p99: latency wrk measured from a write to its (last) response, without its coordinated-omission correction.');
  console.log('CPU/req: server process CPU time (user + system, all threads) per response wrk received.');
  console.log('CPU eff.: requests per CPU-second; "÷ node" and "% raw" compare it with node:http and the raw net ceiling.');
  console.log('Figures are medians of the runs; ratios are medians of the ratios within each round.');
  console.log('Page faults: the server process\'s minor faults per request, high when the allocator hands memory back and faults it in again.');
  const all = [...runs.values()].flatMap((m) => [...m.values()].flat());
  const left = all.filter(disturbed).length;
  const repeated = all.filter((r) => r.attempts > 1).length;
  if (repeated > 0 || left > 0) {
    console.log(
      `${repeated} run(s) were repeated because other processes used the server's or wrk's CPU; ` +
        `${left} of ${all.length} kept runs were still disturbed (over ${OTHERS_TOLERATED * 100} %).`,
    );
  }
  console.log('');

  const goals = targets(byScenario);
  if (goals.length > 0) {
    console.log('## Targets');
    for (const g of goals) console.log(`  ${g.met ? 'met   ' : 'MISSED'}  ${g.what}: ${g.shown}`);
    console.log('');
  }

  console.log('## For the README');
  console.log('');
  console.log(readmeTable(results));
  console.log('');
  console.log(`Measured ${env.date.slice(0, 10)} (Seal ${env.source}), node ${env.node}, ${env.cpu}` +
    (env.pinned ? `; server pinned to one CPU, wrk (1 thread, 50 connections) to the other` : '') +
    `; median of ${settings.rounds} × ${settings.seconds} s runs` +
    (env.steadyMalloc ? '; every server with --steady-malloc.' : '.'));

  if (settings.json !== undefined) {
    const json = { environment: env, scenarios: results, targets: goals };
    fs.writeFileSync(settings.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nresults written to ${settings.json}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`bench/load.js: ${error.message}`);
  process.exitCode = 1;
}
// fetch() keeps its connections alive; the servers are gone, nothing is left to wait for.
process.exit();
