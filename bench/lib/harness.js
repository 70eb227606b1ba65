/**
 * What every suite shares: the `--quick` switch, benchmark.js sampling settings, one way to run a
 * list of cases and collect their rates, and the number formats the reports use.
 */
import os from 'node:os';
import Benchmark from 'benchmark';

/** `--quick`: a smoke run that proves the suite works, not a measurement. */
export const QUICK = process.argv.includes('--quick');

/**
 * A full run takes enough samples for a relative margin of error around 1 %; a quick one just
 * enough to run every case. `minTime` is the shortest clocked period of one sample.
 */
const SAMPLING = QUICK
  ? { minSamples: 3, maxTime: 0.15, minTime: 0.02 }
  : { minSamples: 20, maxTime: 2, minTime: 0.05 };

/**
 * @typedef {{ name: string, fn: () => void }} Case
 * @typedef {{ name: string, hz: number, rme: number, samples: number, nsPerOp: number }} Result
 */

/** Prints what a reader needs to compare runs: the suite, node, the CPU, and the mode. */
export function printEnvironment(title) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`# ${title}`);
  console.log(`node ${process.version} (V8 ${process.versions.v8}), ${cpu}, ${os.cpus().length} CPUs, ${os.platform()} ${os.arch()}`);
  console.log(QUICK ? 'mode: --quick (smoke run; the numbers mean little)' : `mode: full${ROUNDS > 1 ? `, best of ${ROUNDS} rounds` : ''}`);
  console.log('');
}

/**
 * `--rounds N`: measure every case N times, rotating the order, and keep each case's best round.
 * On a shared or noisy machine a burst of foreign load slows whichever case runs during it; the
 * best of a few rounds filters that out, equally for every case. Quick runs use one round.
 */
export const ROUNDS = QUICK ? 1 : roundsArgument(process.argv);

/** `--rounds N` (as bench/load.js spells it) or `--rounds=N`; 1 when absent. */
function roundsArgument(argv) {
  const at = argv.findIndex((a) => a === '--rounds' || a.startsWith('--rounds='));
  if (at === -1) return 1;
  const n = Number(argv[at] === '--rounds' ? argv[at + 1] : argv[at].slice('--rounds='.length));
  if (!Number.isInteger(n) || n < 1) throw new RangeError('--rounds needs a whole number ≥ 1');
  return n;
}

/**
 * Runs `cases` in benchmark.js Suites and returns their results by name (the best of ROUNDS).
 * `bytes` is what one operation processes; when given, each line also shows MB/s.
 * A case that throws marks the process failed and gets no result.
 *
 * @param {string} title
 * @param {Case[]} cases
 * @param {{ bytes?: number }} [options]
 * @returns {Map<string, Result>}
 */
export function measure(title, cases, options = {}) {
  /** @type {Map<string, Result>} */
  const results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    const suite = new Benchmark.Suite(title);
    for (const { name, fn } of order) suite.add(name, fn, SAMPLING);
    suite.on('cycle', (event) => {
      const bench = event.target;
      if (bench.error) {
        console.log(`  ${bench.name} FAILED: ${bench.error.stack ?? bench.error}`);
        process.exitCode = 1;
        return;
      }
      const best = results.get(bench.name);
      if (best !== undefined && best.hz >= bench.hz) return;
      results.set(bench.name, {
        name: bench.name,
        hz: bench.hz,
        rme: bench.stats.rme,
        samples: bench.stats.sample.length,
        nsPerOp: 1e9 / bench.hz,
      });
    });
    suite.run({ async: false });
  }

  const width = Math.max(...cases.map((c) => c.name.length)) + 2;
  console.log(ROUNDS > 1 ? `${title} — best of ${ROUNDS} rounds` : title);
  for (const { name } of cases) {
    const result = results.get(name);
    if (result === undefined) continue;
    const throughput = options.bytes === undefined ? '' : `  ${formatMBps(result.hz * options.bytes).padStart(10)}`;
    console.log(
      `  ${name.padEnd(width)} ${formatRate(result.hz).padStart(13)} ops/s ±${result.rme.toFixed(1).padStart(4)}%` +
        `${throughput}  (${result.samples} samples)`,
    );
  }
  return results;
}

/** 1234567.8 → "1,234,568"; below 100, two decimals. */
export function formatRate(hz) {
  return hz >= 100 ? Math.round(hz).toLocaleString('en-US') : hz.toFixed(2);
}

/** Bytes per second as MB/s (10^6 bytes). */
export function formatMBps(bytesPerSecond) {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** a / b as "1.23×", or "n/a" when either side has no result. */
export function formatRatio(a, b) {
  if (!(a > 0) || !(b > 0)) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}

/** A markdown table from a header row and data rows. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Stops the suite with a message when a parser disagrees with what the corpus says it holds. */
export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) {
    console.error(`check failed: ${what}\n  expected ${e.slice(0, 400)}\n  actual   ${a.slice(0, 400)}`);
    process.exit(1);
  }
}

/**
 * The common flags of a timed suite: `--quick`, `--rounds N`, `--seconds S`, with defaults for a
 * quick and a full run. A bad number prints the usage line and exits 2.
 * @param {string[]} argv
 * @param {string} script  e.g. "bench/tls.js", for the messages
 * @param {{ rounds: [number, number], seconds: [number, number] }} defaults  [quick, full]
 * @returns {{ quick: boolean, rounds: number, seconds: number, warmupSeconds: number }}
 */
export function roundsAndSeconds(argv, script, defaults) {
  const quick = argv.includes('--quick');
  const number = (flag, fallback) => {
    const at = argv.indexOf(flag);
    if (at === -1) return fallback;
    const n = Number(argv[at + 1]);
    if (!(n >= 1)) {
      console.error(`${script}: ${flag} must be a number ≥ 1\nusage: node ${script} [--quick] [--rounds N] [--seconds S]`);
      process.exit(2);
    }
    return n;
  };
  const pick = ([quickValue, fullValue]) => (quick ? quickValue : fullValue);
  return {
    quick,
    rounds: number('--rounds', pick(defaults.rounds)),
    seconds: number('--seconds', pick(defaults.seconds)),
    warmupSeconds: quick ? 1 : 2,
  };
}
