/**
 * Runs the benchmark suites one after another, each in its own node process so that one suite's
 * JIT state and heap do not colour the next. `npm run bench` builds first, then runs this.
 *
 *   node bench/run.js [--quick] [--rounds N] [suite ...]
 *
 * Names from SUITES pick suites (all by default); every other argument is passed to every suite.
 * To add a suite, write bench/<name>.js (accepting --quick) and add <name> here.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SUITES = [
  'parser', //       Seal's request parser vs llhttp and http-parser-js, five corpora
  'parser-split', // a large head fed whole vs one byte per chunk: O(n) under any split
  'allocations', //  heap bytes allocated per request, Seal's connection loop vs node:http's, in memory
  'request-path', // Seal's per-request JavaScript vs the raw ceiling's, in-process, caches warm and flushed
  'fetch', //        a Hono app on Seal (toHandler) vs on @hono/node-server, under wrk
  'load', //         Seal vs node:http vs a raw net ceiling under wrk, server and wrk pinned to a core each
  'tls', //          Seal over TLS vs node:https vs a raw tls ceiling; handshakes per second
  'forms', //        multipart vs busboy, urlencoded vs URLSearchParams, node:querystring, fast-querystring
  'upload-memory', // the demo server's peak RSS growth while a 1 GiB multipart upload streams to it
  'workers', //      seal serve --workers 1 vs 2 under wrk on the same cores: req/s, CPU of seal and of wrk
  'reliability', //  memory per idle connection vs node:http, slowloris, a soak, close() under load
];

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
// Suite names pick suites; everything else (flags and their values) goes to every suite.
const picked = args.filter((a) => SUITES.includes(a));
const flags = args.filter((a) => !SUITES.includes(a));

const failed = [];
const started = Date.now();
for (const name of picked.length > 0 ? picked : SUITES) {
  console.log(`\n=== bench/${name}.js ${flags.join(' ')}`.trimEnd() + '\n');
  const suiteStarted = Date.now();
  const { status, signal } = spawnSync(process.execPath, [path.join(here, `${name}.js`), ...flags], { stdio: 'inherit' });
  const seconds = ((Date.now() - suiteStarted) / 1000).toFixed(1);
  if (status !== 0) {
    failed.push(name);
    console.log(`\n=== bench/${name}.js failed (${signal ?? `exit ${status}`}) after ${seconds} s`);
  } else {
    console.log(`\n=== bench/${name}.js done in ${seconds} s`);
  }
}

console.log(`\n${failed.length === 0 ? 'all suites ran' : `failed: ${failed.join(', ')}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failed.length > 0) process.exitCode = 1;
