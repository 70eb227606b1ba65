/**
 * The reliability tests drive the benchmark's own machinery (bench/lib/reliability-*.js) at CI
 * size: its servers run in child processes from dist/, so the build must be there.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SERVER_MODULE = fileURLToPath(new URL('../../dist/http/server.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(SERVER_MODULE)) throw new Error(`${SERVER_MODULE} is missing: run \`npm run build\` first`);
}

/** Linux only: the tests read the server's /proc entries. */
export const HAVE_PROC = existsSync('/proc/self/fd');
