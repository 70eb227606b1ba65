/**
 * harness.js's measure() for operations that finish later: benchmark.js deferred benchmarks, for
 * busboy, whose file data arrives through streams on later ticks. Seal's synchronous run goes
 * through the same deferred machinery, so both pay the same per-operation overhead.
 */
import Benchmark from 'benchmark';
import { QUICK, ROUNDS, formatMBps, formatRate } from './harness.js';

const SAMPLING = QUICK ? { minSamples: 3, maxTime: 0.3, minTime: 0.05 } : { minSamples: 20, maxTime: 3, minTime: 0.1 };

/**
 * @typedef {{ name: string, run: (done: () => void) => void }} DeferredCase
 * @typedef {import('./harness.js').Result} Result
 */

/**
 * Runs each case's `run(done)` as a deferred benchmark and resolves with the results by name (the
 * best of ROUNDS, rotating the order). `bytes` is what one operation processes, for MB/s.
 *
 * @param {string} title
 * @param {DeferredCase[]} cases
 * @param {{ bytes?: number }} [options]
 * @returns {Promise<Map<string, { name: string, hz: number, rme: number, samples: number }>>}
 */
export async function measureDeferred(title, cases, options = {}) {
  const results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    for (const { name, run } of order) {
      const result = await new Promise((resolve, reject) => {
        const bench = new Benchmark(name, {
          ...SAMPLING,
          defer: true,
          fn: (deferred) => run(() => deferred.resolve()),
          onComplete: () => (bench.error ? reject(bench.error) : resolve(bench)),
          onError: (event) => reject(event.target.error),
        });
        bench.run({ async: true });
      });
      const best = results.get(name);
      if (best === undefined || result.hz > best.hz) {
        results.set(name, { name, hz: result.hz, rme: result.stats.rme, samples: result.stats.sample.length });
      }
    }
  }
  const width = Math.max(...cases.map((c) => c.name.length)) + 2;
  console.log(ROUNDS > 1 ? `${title} — best of ${ROUNDS} rounds` : title);
  for (const { name } of cases) {
    const result = results.get(name);
    const throughput = options.bytes === undefined ? '' : `  ${formatMBps(result.hz * options.bytes).padStart(12)}`;
    console.log(`  ${name.padEnd(width)} ${formatRate(result.hz).padStart(13)} ops/s ±${result.rme.toFixed(1).padStart(4)}%${throughput}  (${result.samples} samples)`);
  }
  return results;
}
