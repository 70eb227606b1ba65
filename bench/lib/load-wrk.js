/**
 * The load generator of the load benchmark: wrk, its three scenarios as Lua scripts, and one timed
 * run turned into numbers.
 *
 * Every script ends with a `done` callback that prints wrk's own summary as one JSON line, so
 * nothing depends on the layout of wrk's human-readable report. wrk counts one request per
 * *response* it parses, also when a script sends 16 pipelined requests per write (checked
 * against the servers' own counters: see `served` in bench/load.js), so its count needs no
 * multiplying. Its latency is measured per write: for the pipelined scenario, from sending the
 * batch of 16 to receiving the 16th response.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Connections kept open by wrk in every scenario. */
export const CONNECTIONS = 50;
/** Requests per write in the pipelined scenario. */
export const PIPELINE_DEPTH = 16;
/** Body of each POST: 64 KiB. */
export const POST_BODY_BYTES = 64 * 1024;

const MARK = 'WRK-JSON ';

/**
 * Prints wrk's summary as one JSON line; latencies in µs.
 *
 * The percentiles are computed here from the histogram, not with `latency:percentile()`. Before
 * `done` runs, wrk 4.1 "corrects" its histogram for coordinated omission: for every sample at
 * n ≥ 2e µs (e = duration ÷ (responses ÷ connections), the mean time between a connection's
 * requests) it adds synthetic samples at n − e, n − 2e, … while above e. Those that land below
 * the recorded minimum are never seen by `percentile()`, which then answers 0 or a shifted value
 * (it does, for a fast server with pipelining). So the correction is undone exactly, walking down
 * from the maximum: every n > e received S(n) = orig(n + e) + S(n + e), kept in two rings of e
 * entries. `p50Us`/`p99Us` are the latencies wrk measured (from a write to its last response);
 * `p99CorrectedUs` is wrk's corrected p99 computed right. `histogramOk` false: the histogram was
 * not what the correction leaves, or too costly to read (wrk's `latency(i)` scans from the
 * minimum on every call; reading stops after 3·10⁹ steps, a few seconds), and the percentiles
 * fall back to wrk's own.
 */
const DONE = `
-- (value, count) of every non-empty bucket, ascending; nil when reading them takes too long:
-- latency(i) scans the histogram from its minimum up to the i-th non-empty bucket.
local function buckets(latency)
  local k, lo = #latency, latency.min
  local values, counts, scanned = {}, {}, 0
  for i = 1, k do
    local value, count = latency(i)
    values[i], counts[i] = value, count
    scanned = scanned + (value - lo)
    if scanned > 3e9 then return nil end
  end
  return values, counts, k
end

-- Calls visit(n, measured, corrected) for n from the maximum down, with the samples wrk measured
-- at n µs and those its correction left there. Returns false if the two do not fit together.
local function sweep(latency, values, counts, k, e, visit)
  local lo, hi = latency.min, latency.max
  local ringOrig, ringAdded = {}, {}
  for i = 0, e - 1 do ringOrig[i] = 0; ringAdded[i] = 0 end
  local bottom = lo
  if e > 0 and e + 1 < bottom then bottom = e + 1 end
  local j, ok = k, true
  for n = hi, bottom, -1 do
    local seen = 0
    if j >= 1 and values[j] == n then seen = counts[j]; j = j - 1 end
    local added = 0
    local orig = seen
    if e > 0 then
      local slot = n % e
      if n > e then added = ringOrig[slot] + ringAdded[slot] end
      if n >= lo then orig = seen - added else orig = 0 end
      if orig < 0 then ok = false end
      ringOrig[slot] = orig
      ringAdded[slot] = added
    end
    if orig > 0 or added > 0 then visit(n, orig, orig + added) end
  end
  return ok and j == 0
end

done = function(summary, latency, requests)
  local samples, corrected, p50, p99, p99c, ok = 0, 0, 0, 0, 0, false
  local wrkP99 = latency:percentile(99)
  if latency.max >= latency.min then
    local perConnection = math.floor(summary.requests / ${CONNECTIONS})
    local e = perConnection > 0 and math.floor(summary.duration / perConnection) or 0
    local values, counts, k = buckets(latency)
    if values ~= nil then
      ok = sweep(latency, values, counts, k, e, function(n, m, c)
        samples = samples + m
        corrected = corrected + c
      end)
      local function above(p, total) return total - math.floor(p / 100 * total + 1) end
      local a50, a99, a99c, m, c = above(50, samples), above(99, samples), above(99, corrected), 0, 0
      sweep(latency, values, counts, k, e, function(n, dm, dc)
        m = m + dm
        c = c + dc
        if p99 == 0 and m > a99 then p99 = n end
        if p50 == 0 and m > a50 then p50 = n end
        if p99c == 0 and c > a99c then p99c = n end
      end)
    end
  end
  if not ok then p50, p99, p99c = latency:percentile(50), wrkP99, wrkP99 end
  local e = summary.errors
  io.write(string.format(
    '${MARK}{"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"samples":%.0f,"p50Us":%.0f,"p99Us":%.0f,' ..
    '"p99CorrectedUs":%.0f,"wrkP99Us":%.0f,"maxUs":%.0f,"histogramOk":%s,' ..
    '"connectErrors":%.0f,"readErrors":%.0f,"writeErrors":%.0f,"statusErrors":%.0f,"timeouts":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, samples, p50, p99,
    p99c, wrkP99, latency.max, tostring(ok),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

/**
 * @typedef {{ name: string, title: string, lua: string, note: string }} Scenario
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    name: 'keep-alive',
    title: `keep-alive GET, ${CONNECTIONS} connections`,
    note: 'one request in flight per connection',
    lua: DONE,
  },
  {
    name: 'pipelined',
    title: `pipelined GET, depth ${PIPELINE_DEPTH}, ${CONNECTIONS} connections`,
    note: `${PIPELINE_DEPTH} requests per write; latency is per batch; wrk saturates its core, so CPU per request is the figure`,
    lua: `
init = function(args)
  local req = wrk.format()
  local r = {}
  for i = 1, ${PIPELINE_DEPTH} do r[i] = req end
  batch = table.concat(r)
end
request = function() return batch end
${DONE}`,
  },
  {
    name: 'post-64k',
    title: `POST 64 KiB body, ${CONNECTIONS} connections`,
    note: 'every server reads the whole body before answering',
    lua: `
wrk.method = "POST"
wrk.body = string.rep("a", ${POST_BODY_BYTES})
wrk.headers["Content-Type"] = "application/octet-stream"
${DONE}`,
  },
];

/** The wrk binary's version line, or null when wrk is not installed. */
export function wrkVersion() {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined) return null;
  return `${probe.stdout}${probe.stderr}`.split('\n')[0]?.trim() ?? 'wrk';
}

/** Writes each scenario's script into `dir`; returns name → path. */
export function writeScripts(dir) {
  const paths = new Map();
  for (const scenario of SCENARIOS) {
    const file = path.join(dir, `${scenario.name}.lua`);
    fs.writeFileSync(file, scenario.lua);
    paths.set(scenario.name, file);
  }
  return paths;
}

/**
 * @typedef {{ requests: number, durationUs: number, bytes: number, p50Us: number, p99Us: number,
 *   maxUs: number, connectErrors: number, readErrors: number, writeErrors: number,
 *   statusErrors: number, timeouts: number }} WrkSummary
 */

/**
 * Runs wrk with one thread against `url` for `seconds`, pinned to `cpu` when given. wrk runs under
 * `sh`, whose `times` reports the CPU time wrk used (`wrkUserUs`, `wrkSystemUs`).
 * @param {{ url: string, script: string, seconds: number, cpu?: string }} run
 * @returns {Promise<WrkSummary & { wrkUserUs: number, wrkSystemUs: number }>}
 */
export function runWrk({ url, script, seconds, cpu }) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url];
  const shell = ['sh', '-c', 'wrk "$@"; rc=$?; times; exit $rc', 'sh', ...args];
  const [command, ...argv] = cpu === undefined ? shell : ['taskset', '-c', cpu, ...shell];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (err += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.trim().split('\n');
      const line = lines.find((l) => l.startsWith(MARK));
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk exited with ${code}: ${(err || out).trim().slice(0, 500)}`));
        return;
      }
      // The last line of `times`: the children's user and system time, as "0m1.230000s 0m0.450000s".
      const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? '');
      const us = (m, s) => (Number(m) * 60 + Number(s)) * 1e6;
      resolve({
        ...JSON.parse(line.slice(MARK.length)),
        wrkUserUs: times ? us(times[1], times[2]) : NaN,
        wrkSystemUs: times ? us(times[3], times[4]) : NaN,
      });
    });
  });
}

/** Socket and status errors of a run, as one short string; '' when there were none. */
export function describeErrors(summary) {
  const parts = [];
  for (const key of ['connectErrors', 'readErrors', 'writeErrors', 'statusErrors', 'timeouts']) {
    if (summary[key] > 0) parts.push(`${summary[key]} ${key}`);
  }
  return parts.join(', ');
}
