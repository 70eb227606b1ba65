/**
 * Path traversal against the real command, over raw sockets (no client normalises anything):
 * `seal serve --app static` with a secret file beside its root, a symlink inside the root to
 * it, another to /etc, and the demo's /static/ with the repository around it. Every attempt is
 * refused with 403 or 404 (or 400 where the parser already refuses the target) and no byte of
 * what is outside the root is ever in the response.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, exchange, killAllSeals, parseRawResponse, startSeal } from '../support/seal-process.js';

afterEach(killAllSeals);

const SECRET = 'TOP-SECRET-4b1d9e-outside-the-root';
let dir: string;
let root: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seal-traversal-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'static', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET);
  writeFileSync(join(root, 'public.txt'), 'public');
  writeFileSync(join(root, 'static', 'sub', 'x.txt'), 'x');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'link-to-secret.txt'));
  symlinkSync(join(dir, 'outside'), join(root, 'link-to-outside'));
  symlinkSync('../secret.txt', join(root, 'relative-link.txt'));
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('/etc/passwd', join(root, 'passwd-link'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What must never be in a response: the secret, and /etc/passwd's first line if there is one. */
const PASSWD = existsSync('/etc/passwd') ? (readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? '') : '';

const TARGETS = [
  '/../secret.txt',
  '/../../../../../../../../etc/passwd',
  '/../etc/passwd',
  '/%2e%2e/secret.txt',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fetc/passwd',
  '/..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/%2f..%2fsecret.txt',
  '/%2fetc%2fpasswd',
  '/%00',
  '/public.txt%00.html',
  '/%00/../secret.txt',
  '//etc/passwd',
  '///etc/passwd',
  '/static/..\\..\\',
  '/static/..\\..\\secret.txt',
  '/..\\secret.txt',
  '/%5c..%5csecret.txt',
  '/..%5c..%5csecret.txt',
  '/static/%2e%2e/%2e%2e/secret.txt',
  '/static/sub/../../../secret.txt',
  '/./../secret.txt',
  '/..;/secret.txt',
  '/%252e%252e/secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%af../secret.txt',
  '/link-to-secret.txt',
  '/relative-link.txt',
  '/link-to-outside/secret.txt',
  '/link-to-outside/',
  '/link-to-outside',
  '/etc-link/passwd',
  '/etc-link/',
  '/passwd-link',
  '/etc/passwd',
  '/C:/Windows/win.ini',
  'http://localhost/../secret.txt',
  'http://localhost/%2e%2e/secret.txt',
];

async function attempt(port: number, target: string): Promise<{ status: number; raw: string }> {
  const { data } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  const raw = data.toString('latin1');
  return { status: Number(parseRawResponse(data).statusLine.split(' ')[1]), raw };
}

function expectRefused(result: { status: number; raw: string }, target: string): void {
  expect([400, 403, 404], `${target} → ${result.raw.split('\r\n')[0]}`).toContain(result.status);
  expect(result.raw, target).not.toContain(SECRET);
  if (PASSWD.length > 0) expect(result.raw, target).not.toContain(PASSWD);
  expect(result.raw, target).not.toContain('root:');
}

describe('seal serve --app static refuses every way out of --root', () => {
  it('the root itself is served (the test is not vacuous)', async () => {
    const seal = await startSeal(['--app', 'static', '--root', root]);
    const ok = await attempt(seal.port, '/public.txt');
    expect(ok.status).toBe(200);
    expect(ok.raw.endsWith('\r\n\r\npublic')).toBe(true);
  });

  it(`refuses ${TARGETS.length} traversal targets with 403 or 404, never a byte of outside content`, async () => {
    const seal = await startSeal(['--app', 'static', '--root', root]);
    const statuses: Record<string, number> = {};
    for (const target of TARGETS) {
      const result = await attempt(seal.port, target);
      expectRefused(result, target);
      statuses[target] = result.status;
    }
    // The parser admits all of these targets: the refusals are the static handler's.
    expect(Object.values(statuses).every((status) => status === 403 || status === 404), JSON.stringify(statuses)).toBe(true);
    // Paths that try are 403; links leading out are 404 (nothing is learnt about the outside).
    expect(statuses['/%2e%2e/%2e%2e/etc/passwd']).toBe(403);
    expect(statuses['/..%2fsecret.txt']).toBe(403);
    expect(statuses['/%00']).toBe(403);
    expect(statuses['/static/..\\..\\']).toBe(403);
    expect(statuses['/link-to-secret.txt']).toBe(404);
    expect(statuses['/etc-link/passwd']).toBe(404);
  });

  it('the listing of the root shows no link that leads out', async () => {
    const seal = await startSeal(['--app', 'static', '--root', root]);
    const listing = await attempt(seal.port, '/');
    expect(listing.status).toBe(200);
    expect(listing.raw).toContain('public.txt');
    for (const name of ['link-to-secret', 'relative-link', 'link-to-outside', 'etc-link', 'passwd-link']) expect(listing.raw).not.toContain(name);
  });

  it('HEAD and Range do not open another way', async () => {
    const seal = await startSeal(['--app', 'static', '--root', root]);
    for (const target of ['/../secret.txt', '/link-to-secret.txt', '/%2e%2e/secret.txt']) {
      const { data } = await exchange(seal.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-5\r\nConnection: close\r\n\r\n`);
      expectRefused({ status: Number(parseRawResponse(data).statusLine.split(' ')[1]), raw: data.toString('latin1') }, target);
      const head = await exchange(seal.port, `HEAD ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(head.data.toString('latin1')).toMatch(/^HTTP\/1\.1 40[34] /);
      expect(head.data.toString('latin1')).not.toContain(`Content-Length: ${SECRET.length}\r\n`);
    }
  });
});

describe("the demo's /static/ stays inside src/apps/demo-static/", () => {
  it('refuses the targets that lead to the rest of the repository', async () => {
    const seal = await startSeal([]);
    const demoSource = readFileSync(join(REPO_ROOT, 'src', 'apps', 'demo.ts'), 'utf8').split('\n')[1]!;
    for (const target of [
      '/static/../demo.ts',
      '/static/%2e%2e/demo.ts',
      '/static/..%2fdemo.ts',
      '/static%2f..%2fdemo.ts',
      '/static/..\\demo.ts',
      '/static/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/static/%00',
      '//static/../../package.json',
    ]) {
      const { data } = await exchange(seal.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const raw = data.toString('latin1');
      // Targets whose decoded path leaves /static/ are the demo's report (text), never the file.
      expect(raw, target).not.toContain(demoSource);
      expect(raw, target).not.toContain('"devDependencies"');
      if (raw.includes('Content-Type: text/plain') && raw.includes('requestline:')) continue;
      expect(raw, target).toMatch(/^HTTP\/1\.1 40[34] /);
    }
  });
});
