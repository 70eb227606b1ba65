/**
 * Form parsing: Seal's MultipartParser against busboy, and its urlencoded parser against
 * URLSearchParams, node:querystring and fast-querystring, in one process.
 *
 * multipart: three corpora (one 10 MiB file, 100 small fields, 1 000 files of 1 KiB) fed in
 * 64 KiB chunks; both parsers do the same work — every file byte consumed, every field collected
 * as a string — and must report exactly the corpus before they are timed (bench/lib/forms-multipart.js).
 *
 * urlencoded: a short (~60 B) and a long (~8 KiB, 200 fields) input, as a string (what
 * URLSearchParams and the querystring parsers take) and as the body's bytes (what a server has: the
 * peers decode them to a string first; Seal parses the bytes). Each parser must read the input as
 * URLSearchParams does before it is timed.
 *
 *   npm run build && node bench/forms.js [--quick] [--rounds N]
 */
import { QUICK, assertEqual, formatMBps, formatRate, formatRatio, markdownTable, measure, printEnvironment } from './lib/harness.js';
import { measureDeferred } from './lib/forms-measure.js';
import { BusboyMultipart, SealMultipart, multipartCorpora } from './lib/forms-multipart.js';
import { pairsOf, urlencodedByteParsers, urlencodedInputs, urlencodedParsers } from './lib/forms-urlencoded.js';

/** Seal's targets over the peers, from the project brief. */
const TARGET_LARGE_FILE = 2; //    × busboy, one 10 MiB file
const TARGET_MANY_PARTS = 1.5; //  × busboy, many small parts
const TARGET_URLENCODED = 1; //    × fast-querystring

printEnvironment('Forms: multipart vs busboy, urlencoded vs URLSearchParams, node:querystring, fast-querystring');

const misses = [];
const tables = [];

// --- multipart --------------------------------------------------------------------------------------

/** Runs a driver over the corpus once, outside timing, and returns what it saw. */
function seenBy(driver, chunks) {
  return new Promise((resolve, reject) => {
    driver.resetCounters();
    try {
      if (driver instanceof SealMultipart) {
        driver.run(chunks);
        resolve(driver.seen());
      } else {
        driver.run(chunks, () => resolve(driver.seen()));
      }
    } catch (error) {
      reject(error);
    }
  });
}

const multipartRows = [];
for (const corpus of multipartCorpora()) {
  const seal = new SealMultipart();
  const bb = new BusboyMultipart();
  assertEqual(await seenBy(seal, corpus.chunks), corpus.expected, `seal on "${corpus.name}"`);
  assertEqual(await seenBy(bb, corpus.chunks), corpus.expected, `busboy on "${corpus.name}"`);

  const bytes = corpus.body.length;
  const title = `multipart, ${corpus.name}: ${corpus.description} (${bytes.toLocaleString('en-US')} bytes in ${corpus.chunks.length} chunks)`;
  const results = await measureDeferred(
    title,
    [
      {
        name: 'seal',
        run: (done) => {
          seal.resetCounters();
          seal.run(corpus.chunks);
          done();
        },
      },
      {
        name: 'busboy',
        run: (done) => {
          bb.resetCounters();
          bb.run(corpus.chunks, done);
        },
      },
    ],
    { bytes },
  );
  const hz = (name) => results.get(name)?.hz ?? 0;
  const ratio = hz('seal') / hz('busboy');
  console.log(`  seal/busboy ${formatRatio(hz('seal'), hz('busboy'))}`);
  console.log('');
  const target = corpus.name.includes('10 MiB') ? TARGET_LARGE_FILE : TARGET_MANY_PARTS;
  if (!(ratio >= target)) misses.push(`multipart ${corpus.name}: seal/busboy ${formatRatio(hz('seal'), hz('busboy'))} < ${target}×`);
  const cell = (name) => `${formatRate(hz(name))} (${formatMBps(hz(name) * bytes)})`;
  multipartRows.push([corpus.name, bytes.toLocaleString('en-US'), cell('seal'), cell('busboy'), formatRatio(hz('seal'), hz('busboy')), `${target}×`]);
}
tables.push(['multipart/form-data, 64 KiB chunks', markdownTable(['corpus', 'bytes', 'seal ops/s (MB/s)', 'busboy ops/s (MB/s)', 'seal/busboy', 'target'], multipartRows)]);

// --- urlencoded -------------------------------------------------------------------------------------

const PEERS = ['URLSearchParams', 'node:querystring', 'fast-querystring'];
const urlencodedRows = [];
for (const input of urlencodedInputs()) {
  // Every parser must read the input as URLSearchParams does (as lists per name, in order).
  const expected = pairsOf(new URLSearchParams(input.text));
  for (const [name, parse] of Object.entries(urlencodedParsers)) assertEqual(pairsOf(parse(input.text)), expected, `${name} on the ${input.name} input`);
  for (const [name, parse] of Object.entries(urlencodedByteParsers)) assertEqual(pairsOf(parse(input.bytes)), expected, `${name} on the ${input.name} input's bytes`);

  for (const [form, parsers, value] of [
    ['string', urlencodedParsers, input.text],
    ['bytes', urlencodedByteParsers, input.bytes],
  ]) {
    const title = `urlencoded, ${input.name} (${form}): ${input.description}`;
    const results = measure(
      title,
      Object.entries(parsers).map(([name, parse]) => ({ name, fn: () => parse(value) })),
      { bytes: input.bytes.length },
    );
    const hz = (name) => results.get(name)?.hz ?? 0;
    console.log(`  ${PEERS.map((peer) => `seal/${peer} ${formatRatio(hz('seal'), hz(peer))}`).join('   ')}`);
    console.log('');
    if (!(hz('seal') / hz('fast-querystring') >= TARGET_URLENCODED)) {
      misses.push(`urlencoded ${input.name} (${form}): seal/fast-querystring ${formatRatio(hz('seal'), hz('fast-querystring'))} < ${TARGET_URLENCODED}×`);
    }
    urlencodedRows.push([
      `${input.name} (${form})`,
      String(input.bytes.length),
      ...['seal', ...PEERS].map((name) => formatRate(hz(name))),
      ...PEERS.map((peer) => formatRatio(hz('seal'), hz(peer))),
    ]);
  }
}
tables.push([
  'application/x-www-form-urlencoded, ops/s',
  markdownTable(
    ['input', 'bytes', 'seal', 'URLSearchParams', 'node:querystring', 'fast-querystring', 'seal/URLSearchParams', 'seal/querystring', 'seal/fast-querystring'],
    urlencodedRows,
  ),
]);

// --- report -----------------------------------------------------------------------------------------

for (const [title, table] of tables) {
  console.log(`${title}\n`);
  console.log(table);
  console.log('');
}
if (misses.length === 0) {
  console.log(`targets met: multipart ≥ ${TARGET_LARGE_FILE}× busboy on a large file and ≥ ${TARGET_MANY_PARTS}× on many parts; urlencoded ≥ ${TARGET_URLENCODED}× fast-querystring`);
} else {
  console.log(`targets missed${QUICK ? ' (quick run: noisy)' : ''}:\n  ${misses.join('\n  ')}`);
}
