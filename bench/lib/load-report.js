/**
 * The load benchmark's numbers: medians over rounds, ratios against node:http and against the raw
 * ceiling, the tables printed for a person and for the README, and the targets Seal aims at.
 */
import { formatRate, formatRatio, markdownTable } from './harness.js';

/**
 * What one timed run gives.
 * @typedef {{ requests: number, seconds: number, rps: number, p50Us: number, p99Us: number,
 *   p99CorrectedUs: number, cpuUs: number, cpuUsPerRequest: number, faultsPerRequest?: number,
 *   served: number, errors: string }} Run
 * What the rounds of one server in one scenario give: the median of each figure.
 * @typedef {{ rps: number, p50Us: number, p99Us: number, p99CorrectedUs: number,
 *   cpuUsPerRequest: number, faultsPerRequest: number }} Summary
 */

export const SERVER_LABELS = { seal: 'Seal', 'node-http': 'node:http', raw: 'raw net' };

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** @param {Run[]} runs @returns {Summary} */
export function summarize(runs) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
    p99CorrectedUs: median(runs.map((r) => r.p99CorrectedUs)),
    cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
    faultsPerRequest: median(runs.map((r) => r.faultsPerRequest ?? NaN)),
  };
}

/**
 * Each server's summary (medians of its runs) with its ratios: req/s and CPU efficiency (requests
 * per CPU-second) against node:http, and as a fraction of the raw ceiling's. A ratio is the median
 * of the ratios of runs made in the same round, minutes apart at most, so that a machine whose
 * speed drifts over the benchmark (a shared one does) moves both sides of each ratio alike.
 * @param {Map<string, Run[]>} runsByServer
 */
export function compare(runsByServer) {
  const node = runsByServer.get('node-http');
  const raw = runsByServer.get('raw');
  const paired = (runs, base, ratio) => {
    if (base === undefined || base.length !== runs.length) return NaN;
    return median(runs.map((run, i) => ratio(run, base[i])));
  };
  const rps = (a, b) => a.rps / b.rps;
  const efficiency = (a, b) => b.cpuUsPerRequest / a.cpuUsPerRequest;
  const rows = {};
  for (const [name, runs] of runsByServer) {
    rows[name] = {
      ...summarize(runs),
      rpsVsNode: paired(runs, node, rps),
      cpuVsNode: paired(runs, node, efficiency),
      rpsOfRaw: paired(runs, raw, rps),
      cpuOfRaw: paired(runs, raw, efficiency),
    };
  }
  return rows;
}

export function formatMs(us) {
  return Number.isFinite(us) ? `${(us / 1000).toFixed(2)} ms` : 'n/a';
}

export function formatCpu(us) {
  return Number.isFinite(us) ? `${us.toFixed(2)} µs` : 'n/a';
}

function formatPercent(fraction) {
  return Number.isFinite(fraction) ? `${Math.round(fraction * 100)} %` : 'n/a';
}

const COLUMNS = ['server', 'req/s', 'p50', 'p99', 'CPU/req', 'req/s ÷ node', 'CPU eff. ÷ node', 'req/s % raw', 'CPU eff. % raw'];

function cells(name, row) {
  return [
    SERVER_LABELS[name] ?? name,
    formatRate(row.rps),
    formatMs(row.p50Us),
    formatMs(row.p99Us),
    formatCpu(row.cpuUsPerRequest),
    formatRatio(row.rpsVsNode, 1),
    formatRatio(row.cpuVsNode, 1),
    formatPercent(row.rpsOfRaw),
    formatPercent(row.cpuOfRaw),
  ];
}

/** A plain-text table of one scenario, columns aligned for a terminal. */
export function scenarioTable(rows) {
  const lines = [COLUMNS, ...Object.entries(rows).map(([name, row]) => cells(name, row))];
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines
    .map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The servers' minor page faults per request (medians), or '' when the runs did not count them. */
export function faultsLine(rows) {
  const parts = Object.entries(rows)
    .filter(([, row]) => Number.isFinite(row.faultsPerRequest))
    .map(([name, row]) => `${SERVER_LABELS[name] ?? name} ${row.faultsPerRequest.toFixed(row.faultsPerRequest < 1 ? 3 : 1)}`);
  return parts.length === 0 ? '' : `  page faults per request: ${parts.join(', ')}`;
}

/** One markdown table of every scenario, for the README. */
export function readmeTable(scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    for (const [name, row] of Object.entries(scenario.rows)) rows.push([scenario.label, ...cells(name, row)]);
  }
  return markdownTable(['scenario', ...COLUMNS], rows);
}

/**
 * Seal's targets, each with whether it is met. Missing servers or scenarios give no target.
 * @param {Map<string, ReturnType<typeof compare>>} byScenario
 */
export function targets(byScenario) {
  const out = [];
  const seal = (scenario) => byScenario.get(scenario)?.seal;
  const add = (what, value, shown, goal) => {
    if (Number.isFinite(value)) out.push({ what, value, shown, met: value >= goal });
  };
  const ka = seal('keep-alive');
  if (ka) add('keep-alive GET: req/s ≥ 90 % of raw', ka.rpsOfRaw, formatPercent(ka.rpsOfRaw), 0.9);
  const pipe = seal('pipelined');
  if (pipe) add('pipelined GET: CPU efficiency ≥ 50 % of raw', pipe.cpuOfRaw, formatPercent(pipe.cpuOfRaw), 0.5);
  const post = seal('post-64k');
  if (post) add('POST 64 KiB: req/s ≥ 1.3 × node:http', post.rpsVsNode, formatRatio(post.rpsVsNode, 1), 1.3);
  for (const [scenario, rows] of byScenario) {
    const s = rows.seal;
    const n = rows['node-http'];
    if (s && n) {
      // Met when Seal's p99 is at most node:http's: n ÷ s ≥ 1.
      add(`${scenario}: p99 no worse than node:http`, n.p99Us / s.p99Us, `${formatMs(s.p99Us)} vs ${formatMs(n.p99Us)}`, 1);
    }
  }
  return out;
}
