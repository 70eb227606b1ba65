/**
 * The demo's two forms, filled and submitted by a person's browser: headless Chromium opens
 * /form.html and /upload.html on a running `seal serve` (the demo app, reports on stdout), fills
 * them as a person would, submits, and the report (page and stdout) shows what the server parsed:
 * repeated `pets`, the blank `user2`, `James & Nancy Kirk` intact, the uploaded file's bytes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllSeals, startSeal } from '../support/seal-process.js';
import { SKIP_BROWSER, launchChromium } from './chromium.js';

afterEach(killAllSeals);

describe.skipIf(SKIP_BROWSER)('the demo forms in headless Chromium', () => {
  let browser: Browser | undefined;
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string): Promise<{ page: Page; stdout: () => string }> {
    const seal = await startSeal([], { quiet: false });
    const page = await browser!.newPage();
    pages.push(page);
    page.setDefaultTimeout(15_000);
    const response = await page.goto(`http://127.0.0.1:${seal.port}${path}`);
    expect(response?.status()).toBe(200);
    return { page, stdout: () => seal.stdout() };
  }

  it('/form.html: urlencoded POST to /foo/bar?hi=john%20doe, every field as typed', async () => {
    const { page, stdout } = await open('/form.html');
    await page.fill('input[name="user"]', 'James & Nancy Kirk');
    // user2 is left blank on purpose: the report keeps blank values.
    await page.check('input[name="vote"][value="Y"]');
    await page.check('input[name="pets"][value="dog"]');
    await page.check('input[name="pets"][value="cat"]');
    await page.fill('textarea[name="comments"]', 'line one\nline two');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/foo/bar?hi=john%20doe');
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain('requestline: POST /foo/bar?hi=john%20doe HTTP/1.1');
    expect(text).toContain("  content-type: 'application/x-www-form-urlencoded'");
    expect(text).toContain(
      "Form:\n  user ['James & Nancy Kirk']\n  user2 ['']\n  vote ['Y']\n  pets ['dog', 'cat']\n  comments ['line one\\r\\nline two']\n",
    );
    expect(stdout()).toContain("  user ['James & Nancy Kirk']\n  user2 ['']\n  vote ['Y']\n  pets ['dog', 'cat']\n");
  });

  it('/upload.html: a multipart upload of a small text file and of a binary one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-browser-upload-'));
    const textFile = join(dir, 'notes.txt');
    writeFileSync(textFile, 'hello from the browser\n');
    const { page } = await open('/upload.html');
    await page.setInputFiles('input[name="myfile"]', textFile);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect(response?.status()).toBe(200);
    const text = (await page.textContent('body')) ?? '';
    expect(text).toMatch(/content-type: 'multipart\/form-data; boundary=----WebKitFormBoundary[0-9A-Za-z]+'/);
    expect(text).toContain("Form:\n  myfile ['hello from the browser\\n']\n");

    const binaryFile = join(dir, 'photo.bin');
    const bytes = Buffer.alloc(70_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    writeFileSync(binaryFile, bytes);
    await page.goBack();
    await page.setInputFiles('input[name="myfile"]', binaryFile);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    expect((await page.textContent('body')) ?? '').toContain("Form:\n  myfile <'photo.bin', 70000 bytes>\n");
  });
});
