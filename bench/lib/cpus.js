/**
 * What every load benchmark needs about CPUs: pinning the server and the load generator to one
 * core each, and the time processes spent on a core (to see how much of it others took).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** The server's core and the load generator's. */
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';
/** A pause between runs, so one run's tail does not fall into the next. */
export const PAUSE_MS = 300;
/** The share of the server's or wrk's core other processes may take before a run counts as disturbed. */
export const OTHERS_TOLERATED = 0.05;

/** `taskset` CPU lists for the servers and wrk, or none when pinning is impossible here. */
export function pinning(cpus) {
  const hasTaskset = spawnSync('taskset', ['-V']).error === undefined;
  if (cpus < 2 || !hasTaskset) {
    console.log(`note: not pinning (${cpus < 2 ? 'one CPU' : 'no taskset'}): servers and wrk share the CPUs`);
    return { server: undefined, load: undefined };
  }
  // This process idles during runs; keep it, and what it spawns unpinned, off the server's CPU.
  spawnSync('taskset', ['-a', '-cp', LOAD_CPU, String(process.pid)]);
  return { server: SERVER_CPU, load: LOAD_CPU };
}

/** USER_HZ: /proc/stat's unit, 100 on every Linux this runs on. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * Time (µs) that processes spent on `cpu`, user and system, from /proc/stat (interrupts not
 * counted: a process's own share of those shows in its CPU time or nowhere); NaN where unreadable.
 */
export function processTimeOnCpu(cpu) {
  if (cpu === undefined) return NaN;
  try {
    const line = fs.readFileSync('/proc/stat', 'latin1').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    const [user, nice, system] = line.split(/\s+/).slice(1, 4).map(Number);
    return ((user + nice + system) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The larger share of a CPU that other processes took from the server or from wrk. */
export function disturbance(run) {
  return Math.max(run.othersOnServerCpu, run.othersOnLoadCpu);
}

export function disturbed(run) {
  return disturbance(run) > OTHERS_TOLERATED;
}
