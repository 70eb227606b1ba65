/**
 * What the reliability benchmark reads about a server process from /proc (Linux only), and the
 * small arithmetic its reports share.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const MiB = 1024 * 1024;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process's resident set in bytes (VmRSS), NaN when it cannot be read. */
export function rssOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux this runs on. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time (µs, user and system, every thread) the process has used, NaN when it cannot be read. */
export function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command (which may hold spaces), from field 3 on: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** The process's open file descriptors, and how many of them are sockets. */
export function descriptorsOf(pid) {
  const dir = `/proc/${pid}/fd`;
  let total = 0;
  let sockets = 0;
  for (const fd of fs.readdirSync(dir)) {
    let target;
    try {
      target = fs.readlinkSync(`${dir}/${fd}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    total++;
    if (target.startsWith('socket:')) sockets++;
  }
  return { total, sockets };
}

/**
 * Polls `read` every `everyMs` until `done(value)` holds or `ms` passed; returns the last value.
 * @template T
 * @param {() => T} read
 * @param {(value: T) => boolean} done
 */
export async function pollUntil(read, done, ms, everyMs = 100) {
  const deadline = Date.now() + ms;
  let value = read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = read();
  }
  return value;
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Least-squares slope of `points` ([x, y] pairs), y per unit of x; NaN with fewer than two. */
export function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? NaN : num / den;
}

export function formatMiB(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function formatKiB(bytes) {
  return `${(bytes / 1024).toFixed(2)} KiB`;
}

/** A table in Markdown, columns as given. */
export function printTable(header, rows) {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
