/**
 * O(n) under any split (STYLE.md, practice 4): a large head fed whole, and fed one byte per
 * `execute` call, must cost about the same per byte, and that cost must not grow with the size.
 * A parser that re-scanned the head from its first byte on every chunk would show a per-byte cost
 * growing linearly with the size (quadratic total).
 *
 * Heads of 4, 16 and 64 KiB of realistic field lines. All three use one set of limits, wide enough
 * for the 64 KiB head (Seal's defaults stop a field section at 16 KiB and 100 fields). llhttp is
 * measured the same way for reference; its one-byte chunks are views made before timing.
 *
 *   npm run build && node bench/parser-split.js [--quick] [--rounds N]
 */
import { resolveLimits } from '../dist/http/limits.js';
import { assertEqual, formatRatio, markdownTable, measure, printEnvironment } from './lib/harness.js';
import { LlhttpDriver, SealDriver } from './lib/parsers.js';
import { headOfSize } from './lib/requests.js';

const SIZES = [4 * 1024, 16 * 1024, 64 * 1024];
const MAX_HEADER_BYTES = 128 * 1024;
const LIMITS = resolveLimits({ maxHeaderBytes: MAX_HEADER_BYTES, maxHeaderFields: 4096 });

printEnvironment('Request parser: a head fed whole vs one byte per chunk');

/** One byte per chunk through Seal: views by offset, nothing allocated by the caller. */
function feedSealBytewise(driver, buf) {
  const parser = driver.parser;
  for (let i = 0; i < buf.length; i++) {
    if (parser.execute(buf, i, i + 1) !== 1) throw parser.error ?? new Error(`seal stopped at byte ${i}`);
  }
}

/** One byte per chunk through llhttp, whose binding wants a Buffer per call. */
function feedLlhttpBytewise(driver, views) {
  const parser = driver.parser;
  for (let i = 0; i < views.length; i++) {
    const n = parser.execute(views[i]);
    if (n !== 1) throw n instanceof Error ? n : new Error(`llhttp stopped at byte ${i}`);
  }
}

const rows = [];
for (const size of SIZES) {
  const { bytes: buf, fields } = headOfSize(size);
  const views = Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1));

  const sealWhole = new SealDriver(false, LIMITS);
  const sealSplit = new SealDriver(false, LIMITS);
  const llhttpWhole = new LlhttpDriver(MAX_HEADER_BYTES);
  const llhttpSplit = new LlhttpDriver(MAX_HEADER_BYTES);

  const cases = [
    { name: 'seal whole', driver: sealWhole, fn: () => sealWhole.feed(buf) },
    { name: 'seal 1-byte chunks', driver: sealSplit, fn: () => feedSealBytewise(sealSplit, buf) },
    { name: 'llhttp whole', driver: llhttpWhole, fn: () => llhttpWhole.feed(buf) },
    { name: 'llhttp 1-byte chunks', driver: llhttpSplit, fn: () => feedLlhttpBytewise(llhttpSplit, views) },
  ];
  // Each way of feeding must yield the one request, with every field for llhttp (Seal's lazy head
  // is checked through its offsets).
  for (const { name, driver, fn } of cases) {
    fn();
    const seen = { messages: driver.messages, fields: driver instanceof SealDriver ? driver.head.fields.length : driver.fields };
    assertEqual(seen, { messages: 1, fields }, `${name} on the ${size}-byte head`);
    driver.resetCounters();
  }

  const results = measure(
    `${size / 1024} KiB head (${fields} fields)`,
    cases.map(({ name, fn }) => ({ name, fn })),
    { bytes: size },
  );
  const nsPerByte = (name) => (results.has(name) ? 1e9 / results.get(name).hz / size : NaN);
  const sealRatio = formatRatio(nsPerByte('seal 1-byte chunks'), nsPerByte('seal whole'));
  const llhttpRatio = formatRatio(nsPerByte('llhttp 1-byte chunks'), nsPerByte('llhttp whole'));
  console.log(`  per-byte cost, 1-byte chunks / whole: seal ${sealRatio}   llhttp ${llhttpRatio}`);
  console.log('');
  rows.push([
    `${size / 1024} KiB`,
    String(fields),
    nsPerByte('seal whole').toFixed(2),
    nsPerByte('seal 1-byte chunks').toFixed(1),
    sealRatio,
    nsPerByte('llhttp whole').toFixed(2),
    nsPerByte('llhttp 1-byte chunks').toFixed(1),
    llhttpRatio,
  ]);
}

console.log(
  markdownTable(
    ['head', 'fields', 'seal whole ns/B', 'seal 1-byte ns/B', 'seal split/whole', 'llhttp whole ns/B', 'llhttp 1-byte ns/B', 'llhttp split/whole'],
    rows,
  ),
);
console.log('');
console.log('Linear means each ns/B column stays about flat from 4 KiB to 64 KiB; a quadratic parser would grow ~16× there.');
