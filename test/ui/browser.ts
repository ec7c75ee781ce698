import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { browserSkipReason, CHROMIUM } from './chromium.js';

export { CHROMIUM } from './chromium.js';

/**
 * `describe` for tests that drive a real browser. Without Chromium (and outside CI) the block is
 * skipped, loudly: its name and the reason go to stderr, and the suite's opening banner says it too.
 */
export function describeInBrowser(name: string, body: () => void): void {
  const reason = browserSkipReason();
  if (reason) process.stderr.write(`\n!! SKIPPED browser tests "${name}": ${reason}\n`);
  describe.runIf(reason === null)(name, body);
}

/**
 * Where the end-to-end run leaves screenshots of the main screens: a temporary folder, so a test
 * run leaves the working tree clean. To refresh the README's pictures:
 * `HERALD_SCREENSHOTS_DIR=docs/screenshots npx vitest run test/ui`.
 */
export const SCREENSHOTS = resolve(
  process.env.HERALD_SCREENSHOTS_DIR ?? join(tmpdir(), 'herald-screenshots'),
);

const UI_INDEX = fileURLToPath(new URL('../../ui/dist/index.html', import.meta.url));

/**
 * Starts headless Chromium with the flags this sandbox needs (no sandbox as root, no background
 * networking: the machine has no outside network). Fails with the fix when a piece is missing,
 * rather than letting the browser tests pass without a browser.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(UI_INDEX))
    throw new Error('ui/dist is missing: run `npm --prefix ui ci && npm --prefix ui run build` first.');
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\`.`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The browser globals the tests use inside `page.evaluate` (the project compiles without the DOM
 * library). Cast inline, `globalThis as unknown as BrowserGlobals`: the callback runs in the page,
 * so it cannot call a helper defined here.
 */
export interface BrowserGlobals {
  sessionStorage: { getItem(key: string): string | null };
  navigator: { clipboard: { readText(): Promise<string> } };
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
  getComputedStyle(element: unknown): { backgroundColor: string };
  fetch: typeof fetch;
}

/**
 * Collects uncaught page errors, so a test fails when the UI throws even if the screen looks
 * right. (Failed API calls are not errors here: the UI shows them.)
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Saves a screenshot of the viewport (kept small: 1280×800, no full page) to SCREENSHOTS/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}
