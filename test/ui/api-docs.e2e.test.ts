import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { describeInBrowser, launchBrowser, screenshot, watchErrors } from './browser.js';

const TIMEOUT = { timeout: 60_000 };

describeInBrowser('sqlite: the API reference at /docs in a real browser', () => {
  let herald: TestHerald;
  let browser: Browser;

  beforeAll(async () => {
    [herald, browser] = await Promise.all([startTestHerald('sqlite'), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await herald?.stop();
  });

  it(
    "wears Herald's name, lists the operation groups with examples, and loads nothing from elsewhere",
    TIMEOUT,
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
      });
      const hosts = new Set<string>();
      page.on('request', (r) => hosts.add(new URL(r.url()).host));

      const response = await page.goto(`${herald.url}/docs`);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(await page.title()).toBe('Herald API reference');
      await page
        .getByRole('heading', { name: /Herald API/ })
        .first()
        .waitFor();
      await page.getByText('Svix-compatible.').waitFor();
      await page
        .getByRole('img', { name: 'Herald API reference' })
        .or(page.locator('.topbar img'))
        .first()
        .waitFor();

      // The operation groups, in the order the document gives them, each with its line.
      const groups = await page.locator('.opblock-tag-section h3 a span').allTextContents();
      expect(groups.slice(0, 5)).toEqual([
        'Application',
        'Endpoint',
        'Event Type',
        'Message',
        'Message Attempt',
      ]);
      await page.getByText('The event catalog: names, descriptions, JSON Schemas and examples.').waitFor();
      await screenshot(page, 'api-docs');

      // An operation opens with its example request body.
      const create = page.locator('.opblock', { has: page.getByText('Create Message', { exact: true }) });
      await create.locator('.opblock-summary').first().click();
      await create
        .locator('.opblock-body')
        .getByText(/in_1001-paid/)
        .first()
        .waitFor();

      expect([...hosts]).toEqual([new URL(herald.url).host]);
      expect(refused).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    },
  );

  it('serves Herald’s mark in place of the Swagger logo', async () => {
    const html = await (await fetch(`${herald.url}/docs/`)).text();
    expect(html).toContain('<title>Herald API reference</title>');
    expect(html).toContain('theme/favicon.svg');
    expect(html).not.toContain('favicon-32x32.png');
  });
});
