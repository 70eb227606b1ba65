/**
 * Seal's request parser against llhttp (node:http's parser, through node's binding) and
 * http-parser-js, on the same bytes, in one process.
 *
 * Each operation parses a whole corpus buffer, as one socket read, with a parser reused across
 * operations as a keep-alive connection reuses it. Before timing, every parser's event log is
 * checked against the corpus and every timed driver's counters against the expected message,
 * field and body-byte counts, so a parser that skips work cannot win.
 *
 * "seal" leaves the lazy head untouched: what the connection loop needs, since framing is decided
 * inside the parser. "seal+strings" also decodes method, target and every field name and value,
 * which is what llhttp's binding always does for node:http; compare that one for like with like.
 *
 *   npm run build && node bench/parser.js [--quick] [--rounds N]
 */
import { QUICK, assertEqual, formatMBps, formatRate, formatRatio, markdownTable, measure, printEnvironment } from './lib/harness.js';
import { HttpParserJsDriver, LlhttpDriver, SealDriver, httpParserJsLog, llhttpLog, sealLog } from './lib/parsers.js';
import { CORPORA, corpusBytes, expectedLog } from './lib/requests.js';

/** Seal's targets over llhttp, from the project brief. */
const TARGET_RATIO = 1.2;
const TARGET_RATIO_PIPELINED = 1.5;
const PIPELINED = '32 pipelined GETs';

printEnvironment('Request parser: seal vs llhttp vs http-parser-js');

const rows = [];
const misses = [];

for (const corpus of CORPORA) {
  const buf = corpusBytes(corpus);
  const expected = expectedLog(corpus);
  const messages = expected.length;
  const fields = expected.reduce((n, m) => n + m.headers.length, 0);
  const bodyBytes = expected.reduce((n, m) => n + m.body.length, 0);

  // Every parser must report exactly what the corpus holds.
  assertEqual(sealLog(buf), expected, `seal's events on "${corpus.name}"`);
  assertEqual(llhttpLog(buf), expected, `llhttp's events on "${corpus.name}"`);
  assertEqual(httpParserJsLog(buf), expected, `http-parser-js's events on "${corpus.name}"`);

  const drivers = {
    seal: new SealDriver(false),
    'seal+strings': new SealDriver(true),
    llhttp: new LlhttpDriver(),
    'http-parser-js': new HttpParserJsDriver(),
  };
  // The timed drivers, fed once: the counts they keep must match too. The lazy "seal" driver
  // counts no fields (that would be touching the head); its last head's offsets stand in.
  const lastFields = expected[messages - 1].headers.length;
  for (const [name, driver] of Object.entries(drivers)) {
    driver.feed(buf);
    const counted =
      name === 'seal'
        ? { messages: driver.messages, bodyBytes: driver.bodyBytes, fields: driver.head.fields.length }
        : { messages: driver.messages, bodyBytes: driver.bodyBytes, fields: driver.fields };
    const wanted = { messages, bodyBytes, fields: name === 'seal' ? lastFields : fields };
    assertEqual(counted, wanted, `${name}'s counts on "${corpus.name}"`);
    driver.resetCounters();
  }

  const title = `${corpus.name}: ${corpus.description} (${buf.length} bytes, ${messages} message${messages > 1 ? 's' : ''})`;
  const results = measure(
    title,
    Object.entries(drivers).map(([name, driver]) => ({ name, fn: () => driver.feed(buf) })),
    { bytes: buf.length },
  );

  const hz = (name) => results.get(name)?.hz ?? 0;
  const llhttp = hz('llhttp');
  console.log(`  seal/llhttp ${formatRatio(hz('seal'), llhttp)}   seal+strings/llhttp ${formatRatio(hz('seal+strings'), llhttp)}`);
  console.log('');

  const target = corpus.name === PIPELINED ? TARGET_RATIO_PIPELINED : TARGET_RATIO;
  if (!(hz('seal') / llhttp >= target)) misses.push(`${corpus.name}: seal/llhttp ${formatRatio(hz('seal'), llhttp)} < ${target}×`);

  const cell = (name) => `${formatRate(hz(name))} (${formatMBps(hz(name) * buf.length)})`;
  rows.push([
    corpus.name,
    String(buf.length),
    String(messages),
    cell('seal'),
    cell('seal+strings'),
    cell('llhttp'),
    cell('http-parser-js'),
    formatRatio(hz('seal'), llhttp),
    formatRatio(hz('seal+strings'), llhttp),
  ]);
}

console.log(
  markdownTable(
    ['corpus', 'bytes', 'msgs', 'seal ops/s', 'seal+strings ops/s', 'llhttp ops/s', 'http-parser-js ops/s', 'seal/llhttp', 'seal+strings/llhttp'],
    rows,
  ),
);
console.log('');
if (misses.length === 0) {
  console.log(`targets met: seal ≥ ${TARGET_RATIO}× llhttp on every corpus, ≥ ${TARGET_RATIO_PIPELINED}× pipelined`);
} else {
  console.log(`targets missed${QUICK ? ' (quick run: noisy)' : ''}:\n  ${misses.join('\n  ')}`);
}
