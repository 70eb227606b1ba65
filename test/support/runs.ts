/**
 * Property tests run a CI-sized number of cases; `npm run fuzz` sets SEAL_FUZZ_SCALE=100 to run
 * the same properties a hundred times longer.
 */
const scale = Math.max(1, Number(process.env.SEAL_FUZZ_SCALE ?? '1') || 1);

export function runs(base: number): number {
  return Math.round(base * scale);
}
