/**
 * One timed wrk run against a server process launched by launch.js, as the load, TLS and fetch
 * suites take it: wrk's figures, the server's CPU time per request, and how much of each CPU other
 * processes took meanwhile.
 */
import { describeErrors, runWrk } from './load-wrk.js';
import { processTimeOnCpu } from './cpus.js';

/**
 * One timed run of one server in one scenario, with the server's CPU time around it, and how
 * much of the two CPUs other processes took meanwhile (process time on each CPU not spent by
 * the server, wrk or this process), which makes a run unreliable.
 */
export async function measureRun(server, script, seconds, pins) {
  const before = await server.stats();
  const serverCoreBefore = processTimeOnCpu(pins.server);
  const loadCoreBefore = processTimeOnCpu(pins.load);
  const ownBefore = process.cpuUsage();
  const startedAt = performance.now();
  const summary = await runWrk({ url: `${server.url}/`, script, seconds, cpu: pins.load });
  // The whole window: wrk's start, its timed run, and its report (which may take a second).
  const windowUs = (performance.now() - startedAt) * 1000;
  const own = process.cpuUsage(ownBefore);
  const loadCore = processTimeOnCpu(pins.load) - loadCoreBefore;
  const serverCore = processTimeOnCpu(pins.server) - serverCoreBefore;
  const after = await server.stats();
  const cpuUs = after.cpuUs - before.cpuUs;
  const wallUs = summary.durationUs;
  return {
    requests: summary.requests,
    seconds: wallUs / 1e6,
    rps: summary.requests / (wallUs / 1e6),
    p50Us: summary.p50Us,
    p99Us: summary.p99Us,
    p99CorrectedUs: summary.p99CorrectedUs,
    latencySamples: summary.samples,
    latencyExact: summary.histogramOk,
    cpuUs,
    cpuUsPerRequest: summary.requests > 0 ? cpuUs / summary.requests : NaN,
    // Page faults show the allocator giving memory back to the kernel and faulting it in again,
    // which makes the POST scenario's figures swing from run to run (see README, load benchmark).
    faultsPerRequest: summary.requests > 0 ? (after.minorFaults - before.minorFaults) / summary.requests : NaN,
    served: after.requests - before.requests,
    errors: describeErrors(summary),
    // Shares of one CPU over the run: the server's CPU time, wrk's, and other processes' on each.
    serverBusy: cpuUs / wallUs,
    wrkBusy: (summary.wrkUserUs + summary.wrkSystemUs) / wallUs,
    othersOnServerCpu: Math.max(0, (serverCore - cpuUs) / windowUs),
    othersOnLoadCpu: Math.max(0, (loadCore - summary.wrkUserUs - summary.wrkSystemUs - own.user - own.system) / windowUs),
  };
}
