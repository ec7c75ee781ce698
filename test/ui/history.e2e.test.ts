import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { describeInBrowser, launchBrowser, screenshot, watchErrors } from './browser.js';

const TIMEOUT = { timeout: 90_000 };

/**
 * History that answers "what failed?", the endpoint's chart and retry schedule, and replays
 * with their dry-run count, in the dashboard and the consumer portal.
 */
describeInBrowser('sqlite: delivery history, endpoint activity and replays in a real browser', () => {
  let herald: TestHerald;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[];
  let appId: string;
  const ep = { ok: '', fail: '', gone: '' };
  const sent = { ok: '', failing: '', mixed: '', gone: '' };

  beforeAll(async () => {
    [herald, receiver, browser] = await Promise.all([
      // A quick retry, then the next a minute out: failing deliveries stay failing, with a next attempt.
      startTestHerald('sqlite', { config: { HERALD_RETRY_SCHEDULE: '0.05,60' } }),
      startReceiver(),
      launchBrowser(),
    ]);
    receiver.respondWith((req) => {
      if (req.path === '/fail') return { status: 500, body: '{"error":"down"}' };
      if (req.path === '/gone') return { status: 410 };
      return { status: 200 };
    });
    for (const name of ['invoice.paid', 'invoice.voided'])
      await herald.api('POST', '/api/v1/event-type', { name, description: name });
    appId = (await herald.api('POST', '/api/v1/app', { name: 'Ledger', uid: 'ledger' })).body.id;
    const endpoint = async (path: string, channels: string[]) =>
      (await herald.api('POST', `/api/v1/app/${appId}/endpoint`, { url: receiver.url(path), channels })).body
        .id as string;
    ep.ok = await endpoint('/ok', ['ok', 'mixed']);
    ep.fail = await endpoint('/fail', ['fail', 'mixed']);
    ep.gone = await endpoint('/gone', ['gone']);
    const publish = async (body: object) =>
      (
        await herald.api('POST', `/api/v1/app/${appId}/msg`, {
          eventType: 'invoice.paid',
          payload: { amount: 1 },
          ...body,
        })
      ).body.id as string;
    sent.ok = await publish({ channels: ['ok'], eventId: 'invoice-1001', tags: ['vip'] });
    sent.failing = await publish({ channels: ['fail'], tags: ['vip'] });
    sent.mixed = await publish({ channels: ['mixed'] });
    sent.gone = await publish({ channels: ['gone'], eventType: 'invoice.voided' });
    await eventually(async () => {
      const res = await herald.api('GET', `/api/v1/app/${appId}/msg?with_content=false`);
      const states = res.body.data.map((m: { deliveryStatus: string }) => m.deliveryStatus).join();
      return states === 'exhausted,failing,failing,succeeded' ? true : null;
    });
  });
  afterAll(async () => {
    await browser?.close();
    await herald?.stop();
    await receiver?.close();
  });
  afterEach(async () => {
    await context?.close();
    expect(errors, 'uncaught errors in the page').toEqual([]);
  });

  async function tab(viewport = { width: 1280, height: 800 }): Promise<Page> {
    context = await browser.newContext({ viewport });
    const page = await context.newPage();
    errors = watchErrors(page);
    return page;
  }

  async function signedIn(): Promise<Page> {
    const page = await tab();
    await page.goto(`${herald.url}/`);
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    return page;
  }

  const rows = (page: Page) => page.getByRole('table', { name: 'Messages' }).locator('tbody tr');

  it(
    'shows each message’s delivery status across endpoints, filters by it and searches by eventId and tag',
    TIMEOUT,
    async () => {
      const page = await signedIn();
      await page.goto(`${herald.url}/apps/${appId}/history`);
      await page.getByRole('columnheader', { name: 'Status' }).waitFor();
      await expect.poll(() => rows(page).count()).toBe(4);
      const row = (msgId: string) => rows(page).filter({ has: page.getByRole('link', { name: msgId }) });
      await expect.poll(() => row(sent.gone).textContent()).toContain('Exhausted');
      expect(await row(sent.mixed).textContent()).toContain('2 endpoints: 1 failing, 1 succeeded');
      expect(await row('invoice-1001').textContent()).toContain('Succeeded');

      // "Which messages are failing?" without choosing an endpoint.
      await page.getByLabel('Status').selectOption({ label: 'Failing (failed, being retried)' });
      await expect.poll(() => page.url()).toContain('delivery=failing');
      await expect.poll(() => rows(page).count()).toBe(2);
      expect(await page.getByRole('table', { name: 'Messages' }).textContent()).not.toContain('Exhausted');
      await screenshot(page, 'history');

      await page.getByLabel('Status').selectOption({ label: 'Exhausted (gave up after the last retry)' });
      await expect.poll(() => rows(page).count()).toBe(1);
      await row(sent.gone).waitFor();

      // By tag, combined with the status.
      await page.getByLabel('Status').selectOption({ label: 'Any status' });
      await page.getByLabel('Tag').fill('vip');
      await page.getByLabel('Tag').press('Enter');
      await expect.poll(() => page.url()).toContain('tag=vip');
      await expect.poll(() => rows(page).count()).toBe(2);
      await page.getByRole('button', { name: /Clear filters/ }).click();

      // By eventId, then by message id; a miss says so.
      const search = page.getByLabel('Message id or eventId');
      await search.fill('invoice-1001');
      await search.press('Enter');
      await expect.poll(() => rows(page).count()).toBe(1);
      await row('invoice-1001').waitFor();
      await search.fill(sent.gone);
      await search.press('Enter');
      await expect.poll(() => rows(page).count()).toBe(1);
      await expect.poll(() => row(sent.gone).textContent()).toContain('Exhausted');
      await search.fill('no-such-event');
      await search.press('Enter');
      await page.getByText('No message has this id or eventId.').waitFor();
    },
  );

  it("charts the endpoint's deliveries and failures and lists its retry schedule", TIMEOUT, async () => {
    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${appId}/endpoints/${ep.fail}`);
    // Two messages, each tried twice: four failed attempts in the last hour.
    await page
      .getByRole('img', { name: /Attempts per minute: 4 attempts in the last hour, 4 failed/ })
      .waitFor();
    const schedule = page.getByRole('table', { name: 'Pending deliveries' });
    await expect.poll(() => schedule.locator('tbody tr').count()).toBe(2);
    expect(await schedule.textContent()).toMatch(/in (\d+ s|1 min)/);
    await schedule.getByRole('link', { name: sent.mixed }).waitFor();
    await screenshot(page, 'endpoint');

    await page.getByText('Last day').click();
    await page.getByRole('img', { name: /Attempts per quarter hour: 4 attempts in the last day/ }).waitFor();

    // An endpoint with nothing owed says so.
    await page.goto(`${herald.url}/apps/${appId}/endpoints/${ep.ok}`);
    await page.getByText('Nothing pending: every delivery is settled.').waitFor();
  });

  it('replays missing messages to a new endpoint after showing the dry-run count', TIMEOUT, async () => {
    const late = (
      await herald.api('POST', `/api/v1/app/${appId}/endpoint`, {
        url: receiver.url('/late'),
        channels: ['ok'],
      })
    ).body.id as string;
    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${appId}/endpoints/${late}`);
    await page.getByLabel('What to send').selectOption({ label: 'Messages this endpoint never received' });
    await page.getByRole('button', { name: 'Count and replay…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replay these messages?' });
    await dialog.getByText('Herald found 1 missing message for this endpoint').waitFor();
    // The count is a dry run: nothing was sent.
    expect(receiver.requests.filter((r) => r.path === '/late')).toHaveLength(0);
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await page.getByText(/Replay (started|finished)/).waitFor();
    await eventually(() => receiver.requests.filter((r) => r.path === '/late').length === 1);
    expect(receiver.requests.find((r) => r.path === '/late')!.headers['webhook-id']).toBe(sent.ok);
    await page.getByText('Replay finished: 1 missing message queued.').waitFor();
  });

  it(
    'bulk-replays from the consumer portal, counting first and sending only on confirmation',
    TIMEOUT,
    async () => {
      const access = await herald.api('POST', `/api/v1/auth/app-portal-access/${appId}`, {});
      const url = new URL(access.body.url);
      const page = await tab();
      await page.goto(`${herald.url}${url.pathname}${url.hash}`);
      await page.getByRole('heading', { name: 'Endpoints' }).waitFor();

      // The portal's history has the same status column and filter.
      await page.getByRole('link', { name: 'History' }).click();
      await page.getByLabel('Status').selectOption({ label: 'Exhausted (gave up after the last retry)' });
      await expect.poll(() => rows(page).count()).toBe(1);

      await page.goto(`${herald.url}/portal/endpoints/${ep.ok}`);
      await page.getByLabel('What to send').selectOption({ label: 'Every message that matches the filters' });
      await page.getByLabel('Delivery status').selectOption({ label: 'Succeeded' });
      const before = receiver.requests.filter((r) => r.path === '/ok').length;
      await page.getByRole('button', { name: 'Count and replay…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Replay these messages?' });
      // The ok endpoint got invoice-1001 and the mixed message.
      await dialog.getByText('Herald found 2 matching messages for this endpoint').waitFor();
      await screenshot(page, 'portal-replay');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(receiver.requests.filter((r) => r.path === '/ok')).toHaveLength(before);

      await page.getByRole('button', { name: 'Count and replay…' }).click();
      await dialog.getByRole('button', { name: 'Replay' }).click();
      await eventually(() => receiver.requests.filter((r) => r.path === '/ok').length === before + 2);
      const replayed = receiver.requests
        .filter((r) => r.path === '/ok')
        .slice(before)
        .map((r) => r.headers['webhook-id'])
        .sort();
      expect(replayed).toEqual([sent.ok, sent.mixed].sort());
    },
  );
});
