/**
 * `seal serve --module FILE` end to end (CONTRACTS.md §1, §2 "--module FILE"): real
 * `node dist/cli.js` processes serving the fixture modules in test/fixtures/apps/ — a fetch
 * application, a Seal handler, a Hono app — and refusing the ones that cannot be served with one
 * line on stderr and exit status 2. Needs `npm run build` first (`npm test` does it).
 */
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, expectUsageRefusal, killAllSeals, startSeal } from '../support/seal-process.js';

afterEach(killAllSeals);

const FIXTURES = 'test/fixtures/apps';

describe('seal serve --module FILE', () => {
  it('serves a fetch application (export default { fetch }), resolving FILE from the current folder', async () => {
    const seal = await startSeal(['--module', `${FIXTURES}/fetch-app.mjs`]);
    const base = `http://127.0.0.1:${seal.port}`;
    const hello = await fetch(`${base}/some/path`);
    expect([hello.status, hello.headers.get('x-app'), await hello.text()]).toEqual([200, 'fetch', 'fetch app: GET /some/path']);
    const echo = await fetch(`${base}/echo?q=1`, { method: 'POST', body: 'sent' });
    expect(await echo.json()).toEqual({ method: 'POST', url: `${base}/echo?q=1`, body: 'sent', client: '127.0.0.1' });
    expect(await seal.stop()).toBe(0);
  });

  it('serves a function as a Seal handler, also given by an absolute path', async () => {
    const seal = await startSeal(['--module', join(REPO_ROOT, FIXTURES, 'handler.js')]);
    const response = await fetch(`http://127.0.0.1:${seal.port}/caf%C3%A9`);
    expect(await response.text()).toBe('seal handler: GET /café from 127.0.0.1');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await seal.stop()).toBe(0);
  });

  it('serves a Hono app unchanged, over HTTP and HTTPS', async () => {
    const seal = await startSeal(['--module', `${FIXTURES}/hono-app.mjs`], { tlsPort0: true });
    const base = `http://127.0.0.1:${seal.port}`;
    expect(await (await fetch(`${base}/`)).text()).toBe('Hello from Hono');
    expect(await (await fetch(`${base}/users/9`)).json()).toEqual({ id: '9' });
    const form = new FormData();
    form.append('name', 'kirk');
    form.append('file', new Blob(['0123456789']), 'ten.txt');
    expect(await (await fetch(`${base}/upload`, { method: 'POST', body: form })).json()).toEqual({ name: 'kirk', file: { name: 'ten.txt', size: 10 } });
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    const secure = await undiciFetch(`https://127.0.0.1:${seal.tlsPort}/users/tls`, { dispatcher });
    expect(await secure.json()).toEqual({ id: 'tls' });
    await dispatcher.close();
    expect(await seal.stop('SIGINT')).toBe(0);
  });

  const REFUSED: [string, string[], RegExp][] = [
    ['a missing file', ['--module', `${FIXTURES}/missing.mjs`], /^seal: --module test\/fixtures\/apps\/missing\.mjs: no such file$/],
    ['a folder', ['--module', FIXTURES], /^seal: --module test\/fixtures\/apps: not a file$/],
    ['a module without a default export', ['--module', `${FIXTURES}/no-default.mjs`], /^seal: --module \S+no-default\.mjs has no default export$/],
    ['a default export of the wrong shape', ['--module', `${FIXTURES}/wrong-shape.mjs`], /^seal: --module \S+wrong-shape\.mjs: the default export must be a fetch application/],
    ['a module that throws as it loads', ['--module', `${FIXTURES}/throws.mjs`], /^seal: --module \S+throws\.mjs could not be loaded: this module fails on purpose$/],
    ['--module with --app', ['--module', `${FIXTURES}/fetch-app.mjs`, '--app', 'hello'], /^seal: --module and --app exclude each other$/],
    ['--module without a file', ['--module'], /^seal: --module needs a value$/],
  ];
  for (const [what, args, message] of REFUSED) {
    it(`refuses ${what}: one line on stderr, a usage hint, exit status 2, nothing listening`, async () => {
      await expectUsageRefusal(args, message);
    });
  }
});
