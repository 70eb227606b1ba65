/**
 * `seal serve --app static --root DIR` (CONTRACTS.md §1, §2) and the demo's /static/, end to end:
 * the real command, driven by curl as a person would (downloads, HEAD, single and multiple
 * ranges, conditional requests with ETag and dates, If-Range), plus the command-line contract
 * for --root. Needs `npm run build` first (`npm test` does it); the curl tests are skipped only
 * where curl is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, exchange, killAllSeals, parseRawResponse, runSeal, startSeal, type RawResponse, type SealProcess } from '../support/seal-process.js';

const HAVE_CURL = spawnSync('curl', ['--version']).status === 0;

afterEach(killAllSeals);

let dir: string;
let root: string;
const TEXT = 'line one\nline two\n';
const BLOB = randomBytes(3 * 1024 * 1024 + 17);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seal-static-e2e-'));
  root = join(dir, 'www');
  mkdirSync(join(root, 'folder with space'), { recursive: true });
  writeFileSync(join(root, 'notes.txt'), TEXT);
  writeFileSync(join(root, 'blob.bin'), BLOB);
  writeFileSync(join(root, 'index.json'), '{"a":1}');
  writeFileSync(join(root, 'folder with space', 'inside.md'), '# inside\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs curl (bounded) and returns what it printed. */
function curlOutput(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 15_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`curl ${args.join(' ')}: ${error.message}\n${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs curl with -i and returns the last response it printed (with -L, the one after the
 * redirects, whose bodies are empty here).
 */
async function curl(args: readonly string[]): Promise<{ response: RawResponse; stdout: Buffer }> {
  const stdout = await curlOutput(['-i', ...args]);
  let response = parseRawResponse(stdout);
  while (response.body.subarray(0, 9).toString('latin1') === 'HTTP/1.1 ') response = parseRawResponse(response.body);
  return { response, stdout };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function serveRoot(extra: string[] = []): Promise<{ seal: SealProcess; base: string }> {
  const seal = await startSeal(['--app', 'static', '--root', root, ...extra]);
  return { seal, base: `http://127.0.0.1:${seal.port}` };
}

describe('seal serve --app static, with curl', () => {
  it.skipIf(!HAVE_CURL)('downloads a file whole, byte for byte, also to a slow reader', async () => {
    const { base } = await serveRoot();
    const file = join(dir, 'download.bin');
    await curlOutput(['-o', file, `${base}/blob.bin`]);
    expect(sha256(readFileSync(file))).toBe(sha256(BLOB));
    // 3 MiB at 12 MiB/s: the server waits for the socket to drain, many times over.
    await curlOutput(['--limit-rate', '12M', '-o', file, `${base}/blob.bin`]);
    expect(sha256(readFileSync(file))).toBe(sha256(BLOB));
  });

  it.skipIf(!HAVE_CURL)('GET: media type, length, validators, ranges accepted', async () => {
    const { base } = await serveRoot();
    const { response } = await curl([`${base}/notes.txt`]);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.body.toString()).toBe(TEXT);
    expect(response.header('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.header('content-length')).toBe(String(TEXT.length));
    expect(response.header('etag')).toMatch(/^W\/"/);
    expect(response.header('last-modified')).toBe(new Date(Math.floor(statSync(join(root, 'notes.txt')).mtimeMs / 1000) * 1000).toUTCString());
    expect(response.header('accept-ranges')).toBe('bytes');
    expect((await curl([`${base}/index.json`])).response.header('content-type')).toBe('application/json; charset=utf-8');
  });

  it.skipIf(!HAVE_CURL)('HEAD (curl -I): the fields of the GET, no content', async () => {
    const { base } = await serveRoot();
    const { response, stdout } = await curl(['-I', `${base}/blob.bin`]);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.header('content-length')).toBe(String(BLOB.length));
    expect(response.header('content-type')).toBe('application/octet-stream');
    expect(response.body.length).toBe(0);
    expect(stdout.length).toBeLessThan(1000);
  });

  it.skipIf(!HAVE_CURL)('one range (curl -r): 206 and exactly those bytes', async () => {
    const { base } = await serveRoot();
    const { response } = await curl(['-r', '100-199', `${base}/blob.bin`]);
    expect(response.statusLine).toBe('HTTP/1.1 206 Partial Content');
    expect(response.header('content-range')).toBe(`bytes 100-199/${BLOB.length}`);
    expect(response.body.equals(BLOB.subarray(100, 200))).toBe(true);
    const suffix = (await curl(['-r', '-5', `${base}/notes.txt`])).response;
    expect(suffix.body.toString()).toBe(TEXT.slice(-5));
    const open = (await curl(['-r', `${BLOB.length - 3}-`, `${base}/blob.bin`])).response;
    expect(open.body.equals(BLOB.subarray(BLOB.length - 3))).toBe(true);
  });

  it.skipIf(!HAVE_CURL)('several ranges: 206 multipart/byteranges with every part', async () => {
    const { base } = await serveRoot();
    const { response } = await curl(['-r', '0-3,5-7,-4', `${base}/notes.txt`]);
    expect(response.statusLine).toBe('HTTP/1.1 206 Partial Content');
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(response.header('content-type') ?? '')?.[1];
    expect(boundary).toBeDefined();
    expect(Number(response.header('content-length'))).toBe(response.body.length);
    const body = response.body.toString('latin1');
    const parts = body.split(`--${boundary}`);
    expect(parts[0]).toBe('');
    expect(parts.at(-1)).toBe('--\r\n');
    const inner = parts.slice(1, -1).map((part) => {
      const [head, data] = part.split('\r\n\r\n') as [string, string];
      return { head: head.trim().split('\r\n'), data: data.replace(/\r\n$/, '') };
    });
    expect(inner).toEqual([
      { head: ['Content-Type: text/plain; charset=utf-8', `Content-Range: bytes 0-3/${TEXT.length}`], data: 'line' },
      { head: ['Content-Type: text/plain; charset=utf-8', `Content-Range: bytes 5-7/${TEXT.length}`], data: 'one' },
      { head: ['Content-Type: text/plain; charset=utf-8', `Content-Range: bytes ${TEXT.length - 4}-${TEXT.length - 1}/${TEXT.length}`], data: 'two\n' },
    ]);
  });

  it.skipIf(!HAVE_CURL)('an unsatisfiable range: 416 with Content-Range: bytes */size', async () => {
    const { base } = await serveRoot();
    const { response } = await curl(['-r', '999999-', `${base}/notes.txt`]);
    expect(response.statusLine).toBe('HTTP/1.1 416 Range Not Satisfiable');
    expect(response.header('content-range')).toBe(`bytes */${TEXT.length}`);
  });

  it.skipIf(!HAVE_CURL)('conditional GET: --etag-compare and If-None-Match → 304; -z (If-Modified-Since) → 304, older date → 200', async () => {
    const { base } = await serveRoot();
    const etagFile = join(dir, 'etag.txt');
    const first = (await curl(['--etag-save', etagFile, `${base}/notes.txt`])).response;
    expect(first.statusLine).toBe('HTTP/1.1 200 OK');
    const again = (await curl(['--etag-compare', etagFile, `${base}/notes.txt`])).response;
    expect(again.statusLine).toBe('HTTP/1.1 304 Not Modified');
    expect(again.body.length).toBe(0);
    expect(again.header('etag')).toBe(first.header('etag'));
    const byHeader = (await curl(['-H', `If-None-Match: ${first.header('etag')}`, `${base}/notes.txt`])).response;
    expect(byHeader.statusLine).toBe('HTTP/1.1 304 Not Modified');
    const since = (await curl(['-z', first.header('last-modified')!, `${base}/notes.txt`])).response;
    expect(since.statusLine).toBe('HTTP/1.1 304 Not Modified');
    const older = new Date(Date.parse(first.header('last-modified')!) - 60_000).toUTCString();
    const changed = (await curl(['-z', older, `${base}/notes.txt`])).response;
    expect(changed.statusLine).toBe('HTTP/1.1 200 OK');
    expect(changed.body.toString()).toBe(TEXT);
  });

  it.skipIf(!HAVE_CURL)('If-Range: the Last-Modified date resumes (206), a stale one restarts (200)', async () => {
    const { base } = await serveRoot();
    const first = (await curl([`${base}/notes.txt`])).response;
    const resumed = (await curl(['-r', '5-', '-H', `If-Range: ${first.header('last-modified')}`, `${base}/notes.txt`])).response;
    expect(resumed.statusLine).toBe('HTTP/1.1 206 Partial Content');
    expect(resumed.body.toString()).toBe(TEXT.slice(5));
    const restarted = (await curl(['-r', '5-', '-H', 'If-Range: Sun, 06 Nov 1994 08:49:37 GMT', `${base}/notes.txt`])).response;
    expect(restarted.statusLine).toBe('HTTP/1.1 200 OK');
    expect(restarted.body.toString()).toBe(TEXT);
  });

  it.skipIf(!HAVE_CURL)('folders: redirect to the "/" form (curl -L follows), a listing with encoded links', async () => {
    const { base } = await serveRoot();
    const redirect = (await curl([`${base}/folder%20with%20space`])).response;
    expect(redirect.statusLine).toBe('HTTP/1.1 301 Moved Permanently');
    expect(redirect.header('location')).toBe('/folder%20with%20space/');
    const followed = (await curl(['-L', `${base}/folder%20with%20space`])).response;
    expect(followed.statusLine).toBe('HTTP/1.1 200 OK');
    expect(followed.body.toString()).toContain('<a href="inside.md">inside.md</a>');
    const top = (await curl([`${base}/`])).response;
    expect(top.body.toString()).toContain('<a href="folder%20with%20space/">folder with space/</a>');
    expect((await curl([`${base}/folder%20with%20space/inside.md`])).response.header('content-type')).toBe('text/markdown; charset=utf-8');
  });

  it.skipIf(!HAVE_CURL)('405 with Allow for POST; 404 for what is not there', async () => {
    const { base } = await serveRoot();
    const post = (await curl(['-X', 'POST', '-d', 'x=1', `${base}/notes.txt`])).response;
    expect(post.statusLine).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(post.header('allow')).toBe('GET, HEAD');
    expect((await curl([`${base}/nope.txt`])).response.statusLine).toBe('HTTP/1.1 404 Not Found');
  });
});

describe('seal serve --app static, the command', () => {
  it('prints one log line per request in http.server layout, none with --quiet', async () => {
    const seal = await startSeal(['--app', 'static', '--root', root], { quiet: false });
    await exchange(seal.port, 'GET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await exchange(seal.port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const out = await seal.waitForStdout((text) => text.includes('"GET /nope HTTP/1.1" 404 -'), 'the second log line');
    expect(out).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\n127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4} \d{2}:\d{2}:\d{2}\] "GET \/notes\.txt HTTP\/1\.1" 200 -\n/);
    expect(await seal.stop()).toBe(0);
  });

  it('--root defaults to the current folder', async () => {
    const seal = await startSeal(['--app', 'static']);
    const { data } = await exchange(seal.port, 'GET /package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const response = parseRawResponse(data);
    expect(response.statusLine).toBe('HTTP/1.1 200 OK');
    expect(response.body.equals(readFileSync(join(REPO_ROOT, 'package.json')))).toBe(true);
  });

  it('a --root that is missing or not a folder: one line on stderr, usage, exit status 2', async () => {
    for (const bad of [join(dir, 'missing'), join(root, 'notes.txt')]) {
      const run = await runSeal(['serve', '--app', 'static', '--root', bad, '--port', '0']);
      expect(run.code, bad).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^seal: --root .* is not a folder\nusage: seal serve/);
    }
  });

  it('serves the same folder over HTTPS', async () => {
    const seal = await startSeal(['--app', 'static', '--root', root], { tlsPort0: true });
    expect(Number.isInteger(seal.tlsPort)).toBe(true);
    if (!HAVE_CURL) return;
    const { response } = await curl(['-k', '-r', '0-3', `https://127.0.0.1:${seal.tlsPort}/notes.txt`]);
    expect(response.statusLine).toBe('HTTP/1.1 206 Partial Content');
    expect(response.body.toString()).toBe('line');
  });
});

describe('the demo serves /static/', () => {
  it('links it from its index page, and serves the page, style sheet, script and WAV with their media types', async () => {
    const seal = await startSeal([]);
    const get = async (target: string, fields = ''): Promise<RawResponse> =>
      parseRawResponse((await exchange(seal.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${fields}\r\n`)).data);
    expect((await get('/')).body.toString()).toContain('<a href="/static/">');
    expect((await get('/static')).header('location')).toBe('/static/');
    const page = await get('/static/');
    expect(page.header('content-type')).toBe('text/html; charset=utf-8');
    expect(page.body.toString()).toContain('<audio id="tone"');
    expect((await get('/static/style.css')).header('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/static/script.js')).header('content-type')).toBe('text/javascript; charset=utf-8');
    const wav = await get('/static/tone.wav', 'Range: bytes=0-43\r\n');
    expect(wav.statusLine).toBe('HTTP/1.1 206 Partial Content');
    expect(wav.header('content-type')).toBe('audio/wav');
    expect(wav.header('content-range')).toBe('bytes 0-43/16044');
    expect(wav.body.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.body.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect((await get('/static/missing.txt')).statusLine).toBe('HTTP/1.1 404 Not Found');
    // Everything else is still the demo's report.
    expect((await get('/statics')).body.toString()).toContain('requestline: GET /statics HTTP/1.1');
  });
});
