/**
 * Memory under a large upload: `seal serve --app demo` (which streams uploads to temporary files,
 * see src/apps/demo.ts) runs as a child process, and a raw socket streams one multipart/form-data
 * body of --size bytes of file data to it, generated on the fly and never held whole. The server's
 * resident set (VmRSS in /proc/<pid>/status) is sampled every 50 ms; what counts is its peak growth
 * over the idle baseline, which must stay under 64 MiB however large the upload: bounded buffers,
 * backpressure from the disk to the socket.
 *
 *   npm run build && node bench/upload-memory.js [--size 1G] [--quick]
 *
 * --size takes bytes or a number with K, M or G (binary: 256M is 256 MiB); default 1G, and 256M
 * with --quick. Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUICK, formatMBps } from './lib/harness.js';

const MiB = 1024 * 1024;
/** The target for the peak RSS growth, from the project brief. */
const TARGET_GROWTH = 64 * MiB;
const SAMPLE_EVERY_MS = 50;
/** Idle samples before the upload: the baseline is their median. */
const BASELINE_SAMPLES = 20;
/** Bytes per socket write; each piece is made just before it is written. */
const PIECE_BYTES = 256 * 1024;
const BOUNDARY = '----SealUploadMemory8f2c1a9e';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli.js');

/** `--size 256M` → bytes; K, M, G are binary multiples, an optional "i" and "B" are ignored. */
function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (match === null) throw new RangeError(`--size: not a size: ${text}`);
  const scale = { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[match[2].toLowerCase()];
  const bytes = Math.round(Number(match[1]) * scale);
  if (!(bytes > 0)) throw new RangeError('--size must be positive');
  return bytes;
}

function argument(name) {
  const argv = process.argv;
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at === -1) return undefined;
  return argv[at] === name ? argv[at + 1] : argv[at].slice(name.length + 1);
}

function formatMiB(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** The child's resident set in bytes, and its high-water mark, from /proc. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The demo's temporary upload folders (src/http/form.ts makes one per request with files). */
function uploadFolders() {
  return new Set(readdirSync(os.tmpdir()).filter((name) => name.startsWith('seal-upload-')));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the demo server; resolves with the child and its port once it prints `listening on`. */
function startServer() {
  const child = spawn(process.execPath, [cli, 'serve', '--app', 'demo', '--port', '0', '--quiet', '--max-body', '2000000000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${out}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
    child.stdout.on('data', (data) => {
      out += data;
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
  });
}

/** A piece of file data for offset `at`: printable bytes without CR, so it never holds a delimiter. */
function piece(at, length) {
  const buf = Buffer.allocUnsafe(length);
  buf.fill(`${at.toString(16)}:abcdefghijklmnopqrstuvwxyz0123456789\n`, 'latin1');
  return buf;
}

/**
 * Streams the upload through a raw socket, writing each piece only when the socket has room, and
 * resolves with the server's response (status line and body) once it has come back whole.
 */
function upload(port, size) {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nstreamed\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const length = head.length + size + tail.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => {
      const response = Buffer.concat(received).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1];
      if (status === undefined) reject(new Error(`no response: ${response.slice(0, 200)}`));
      else resolve({ status: Number(status), body: response.slice(response.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('connect', async () => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
          `Content-Length: ${length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(head);
      for (let at = 0; at < size; at += PIECE_BYTES) {
        if (!socket.write(piece(at, Math.min(PIECE_BYTES, size - at)))) {
          await new Promise((drained) => socket.once('drain', drained));
        }
        if (socket.destroyed) return;
      }
      socket.write(tail);
    });
  });
}

const size = parseSize(argument('--size') ?? (QUICK ? '256M' : '1G'));
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log('# Upload memory: the demo server streaming a multipart upload to a temporary file');
console.log(`node ${process.version}, ${cpu}, ${os.cpus().length} CPUs, ${os.platform()} ${os.arch()}`);
console.log(`upload: ${formatMiB(size)} of file data in one multipart part, written ${PIECE_BYTES / 1024} KiB at a time as the socket drains`);
console.log('');

const { child, port } = await startServer();
const exited = new Promise((resolve) => child.once('exit', resolve));
try {
  const idle = [];
  for (let i = 0; i < BASELINE_SAMPLES; i++) {
    idle.push(memoryOf(child.pid).rss);
    await sleep(SAMPLE_EVERY_MS);
  }
  const baseline = median(idle);
  const foldersBefore = uploadFolders();
  const samples = [];
  const sampler = setInterval(() => samples.push(memoryOf(child.pid).rss), SAMPLE_EVERY_MS);
  const started = process.hrtime.bigint();
  const response = await upload(port, size);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  samples.push(memoryOf(child.pid).rss);
  const { hwm } = memoryOf(child.pid);
  const peak = Math.max(...samples);
  const growth = peak - baseline;

  if (response.status !== 200) throw new Error(`the server answered ${response.status}: ${response.body.slice(0, 300)}`);
  // The demo's report shows the file by name and size: every byte must have arrived.
  if (!response.body.includes(`'big.bin', ${size} bytes`)) throw new Error(`the report does not show the whole file: ${response.body.slice(0, 600)}`);

  // The temporary file is removed once the response has ended, asynchronously: the server stays up
  // until it is gone (stopping it sooner would leave a file of --size behind).
  const ours = () => [...uploadFolders()].filter((name) => !foldersBefore.has(name));
  const deadline = Date.now() + 30_000;
  while (ours().length > 0 && Date.now() < deadline) await sleep(SAMPLE_EVERY_MS);
  const leftover = ours();

  console.log(`upload of ${formatMiB(size)}: ${seconds.toFixed(1)} s, ${formatMBps(size / seconds)}, answered 200 with the file's full size`);
  console.log(leftover.length === 0 ? 'the temporary file was removed after the response' : `left behind in ${os.tmpdir()}: ${leftover.join(', ')}`);
  console.log(`server RSS: idle baseline ${formatMiB(baseline)}, peak ${formatMiB(peak)} (${samples.length} samples every ${SAMPLE_EVERY_MS} ms), VmHWM ${formatMiB(hwm)}`);
  console.log(`peak RSS growth over the idle baseline: ${formatMiB(growth)} (VmHWM − baseline: ${formatMiB(hwm - baseline)})`);
  console.log('');
  console.log('| upload | time | throughput | idle RSS | peak RSS | peak growth | target |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| ${formatMiB(size)} | ${seconds.toFixed(1)} s | ${formatMBps(size / seconds)} | ${formatMiB(baseline)} | ${formatMiB(peak)} | ${formatMiB(growth)} | < ${formatMiB(TARGET_GROWTH)} |`,
  );
  console.log('');
  if (growth < TARGET_GROWTH) console.log(`target met: peak growth ${formatMiB(growth)} < ${formatMiB(TARGET_GROWTH)}`);
  else {
    console.log(`target missed: peak growth ${formatMiB(growth)} ≥ ${formatMiB(TARGET_GROWTH)}`);
    process.exitCode = 1;
  }
} finally {
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
}
