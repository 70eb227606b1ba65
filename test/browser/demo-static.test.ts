/**
 * The demo's /static/ in a real browser: headless Chromium opens the page served by a running
 * `seal serve` (the demo app), applies its style sheet, runs its module script (both only happen
 * with the right media types under `nosniff`), and plays the WAV through an <audio> element,
 * which fetches it with `Range: bytes=0-` and must reach readyState ≥ 2 (HAVE_CURRENT_DATA).
 *
 * Page code is passed as strings: the test TypeScript has no DOM library.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllSeals, startSeal } from '../support/seal-process.js';
import { SKIP_BROWSER, launchChromium } from './chromium.js';

afterEach(killAllSeals);

interface WavResponse {
  status: number;
  range: string | undefined;
  contentType: string | undefined;
  contentRange: string | undefined;
}

interface MediaState {
  readyState: number;
  duration: number;
  error: number | null;
  currentTime: number;
  paused: boolean;
  playError: string | null;
}

describe.skipIf(SKIP_BROWSER)('the demo in headless Chromium', () => {
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

  async function openStatic(): Promise<{ page: Page; wav: WavResponse[] }> {
    const seal = await startSeal([]);
    const page = await browser!.newPage();
    pages.push(page);
    page.setDefaultTimeout(15_000);
    const wav: WavResponse[] = [];
    page.on('response', (response) => {
      if (!response.url().endsWith('/static/tone.wav') || response.request().method() !== 'GET') return;
      const headers = response.headers();
      wav.push({ status: response.status(), range: response.request().headers()['range'], contentType: headers['content-type'], contentRange: headers['content-range'] });
    });
    const response = await page.goto(`http://127.0.0.1:${seal.port}/static/`);
    expect(response?.status()).toBe(200);
    return { page, wav };
  }

  it('plays tone.wav: the <audio> element reaches readyState >= 2 from 206 responses of type audio/wav', async () => {
    const { page, wav } = await openStatic();
    await page.waitForFunction('document.querySelector("#tone").readyState >= 2');
    const state = await page.evaluate<MediaState>(`(async () => {
      const audio = document.querySelector('#tone');
      const state = { readyState: audio.readyState, duration: audio.duration, error: audio.error ? audio.error.code : null, playError: null };
      try {
        await audio.play();
        await new Promise((resolve) => setTimeout(resolve, 300));
      } catch (error) {
        state.playError = String(error);
      }
      return { ...state, currentTime: audio.currentTime, paused: audio.paused };
    })()`);
    expect(state.readyState).toBeGreaterThanOrEqual(2);
    expect(state.error).toBeNull();
    expect(state.duration).toBeCloseTo(1, 2);
    expect(state.playError).toBeNull();
    expect(state.currentTime).toBeGreaterThan(0);
    // The media element asked for a range, and got one, with the WAV's media type.
    const media = wav.find((r) => r.range === 'bytes=0-');
    expect(media, JSON.stringify(wav)).toEqual({ status: 206, range: 'bytes=0-', contentType: 'audio/wav', contentRange: 'bytes 0-16043/16044' });
  });

  it('applies the style sheet and runs the module script, which shows ranges and media types', async () => {
    const { page } = await openStatic();
    await page.waitForFunction('document.documentElement.dataset.described === "yes"');
    const seen = await page.evaluate<{ script: string; color: string; one: string; many: string; rows: string[] }>(`({
      script: document.documentElement.dataset.script,
      color: getComputedStyle(document.querySelector('h1')).color,
      one: document.querySelector('#range-one').textContent,
      many: document.querySelector('#range-many').textContent,
      rows: [...document.querySelectorAll('#files tbody tr')].map((row) => [...row.cells].slice(0, 3).map((cell) => cell.textContent).join(' ')),
    })`);
    expect(seen.script).toBe('ran');
    expect(seen.color).toBe('rgb(29, 95, 168)');
    expect(seen.one).toBe('Range: bytes=0-43 → 206, Content-Range: bytes 0-43/16044; RIFF/WAVE, 8000 Hz, 1 channel, 16-bit');
    expect(seen.many).toMatch(/^Range: bytes=0-3,8-11 → 206, Content-Type: multipart\/byteranges; boundary=\S+, \d+ bytes$/);
    expect(seen.rows).toEqual([
      'index.html 200 text/html; charset=utf-8',
      'style.css 200 text/css; charset=utf-8',
      'script.js 200 text/javascript; charset=utf-8',
      'tone.wav 200 audio/wav',
    ]);
  });

  it('reloading revalidates: the browser sends the ETag back and the server answers 304 without content', async () => {
    const { page } = await openStatic();
    await page.waitForFunction('document.documentElement.dataset.described === "yes"');
    const etag = await page.evaluate<string | null>('fetch("style.css", { method: "HEAD", cache: "no-store" }).then((r) => r.headers.get("etag"))');
    const seen: Promise<{ ifNoneMatch: string | undefined; contentLength: string | undefined; bodySize: number }>[] = [];
    page.on('requestfinished', (request) => {
      if (!request.url().endsWith('/static/style.css') || request.method() !== 'GET') return;
      seen.push(
        (async () => {
          const response = await request.response();
          // Playwright reports the cached 200 a 304 refreshed; the headers and sizes are the wire's.
          return {
            ifNoneMatch: (await request.allHeaders())['if-none-match'],
            contentLength: (await response!.allHeaders())['content-length'],
            bodySize: (await request.sizes()).responseBodySize,
          };
        })(),
      );
    });
    await page.reload();
    await page.waitForFunction('document.documentElement.dataset.described === "yes"');
    const revalidations = await Promise.all(seen);
    // no-cache: the stored copy is revalidated with its ETag, and the server says it is still good.
    expect(revalidations).toContainEqual({ ifNoneMatch: etag, contentLength: undefined, bodySize: 0 });
  });
});
