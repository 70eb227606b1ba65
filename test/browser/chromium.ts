/**
 * Headless Chromium for the browser tests: the Debian package's /usr/bin/chromium driven by
 * playwright-core (no browser download). `chromium.launch` starts it with a new, empty
 * user-data-dir of its own (a temporary folder Playwright removes on close), so no profile,
 * cache or cookie carries over between runs.
 *
 * The tests are skipped only where /usr/bin/chromium is missing and CI is not set: in CI a
 * missing browser is a failure, not a skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether to skip: no Chromium here, and not in CI (where it must be installed). */
export const SKIP_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;

/** Headless, no sandbox (CI runs as root in a container), no network chatter of its own, and media may play without a click. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** How long Chromium may take to start. */
export const LAUNCH_TIMEOUT_MS = 20_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: LAUNCH_TIMEOUT_MS });
}
