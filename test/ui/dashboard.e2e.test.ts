import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { type BrowserGlobals, describeInBrowser, launchBrowser, screenshot, watchErrors } from './browser.js';

const INVOICE_EXAMPLE = { invoiceId: 'in_1001', amount: 4200, currency: 'usd' };
const TIMEOUT = { timeout: 90_000 };

describeInBrowser('sqlite: the operator dashboard in a real browser', () => {
  let herald: TestHerald;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[];
  /** Receiver paths that answer 500 until removed from here. */
  const failing = new Set<string>();
  let counter = 0;

  beforeAll(async () => {
    [herald, receiver, browser] = await Promise.all([
      startTestHerald('sqlite'),
      startReceiver(),
      launchBrowser(),
    ]);
    receiver.respondWith((req) =>
      failing.has(req.path)
        ? { status: 500, body: '{"error":"down"}' }
        : { status: 200, body: '{"received":true}' },
    );
    const invoice = await herald.api('POST', '/api/v1/event-type', {
      name: 'invoice.paid',
      description: 'An invoice was paid in full.',
      groupName: 'billing',
      schemas: {
        '1': {
          type: 'object',
          required: ['invoiceId', 'amount'],
          properties: {
            invoiceId: { type: 'string' },
            amount: { type: 'integer', minimum: 0 },
            currency: { enum: ['usd', 'eur'] },
          },
          examples: [INVOICE_EXAMPLE],
        },
      },
    });
    expect(invoice.status).toBe(201);
    await herald.api('POST', '/api/v1/event-type', {
      name: 'customer.created',
      description: 'A customer signed up.',
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

  /** A fresh tab (own sessionStorage), signed in with the admin token. */
  async function signedIn(viewport = { width: 1280, height: 800 }): Promise<Page> {
    context = await browser.newContext({ viewport });
    const page = await context.newPage();
    errors = watchErrors(page);
    await page.goto(`${herald.url}/`);
    // Keyboard only: once the page is up the token field has focus, and Enter submits.
    const field = page.getByLabel('Admin token');
    await field.waitFor();
    await expect.poll(() => field.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.type(TEST_ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).not.toContain(TEST_ADMIN_TOKEN);
    return page;
  }

  /** An application with one endpoint at a receiver path of its own, made through the API. */
  async function appWithEndpoint(name: string, extra: Record<string, unknown> = {}) {
    counter += 1;
    const app = (await herald.api('POST', '/api/v1/app', { name, uid: `${name.toLowerCase()}-${counter}` }))
      .body;
    const path = `/hooks/${counter}`;
    const endpoint = (
      await herald.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: receiver.url(path), ...extra })
    ).body;
    return { app, endpoint, path };
  }

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);

  it(
    'signs in, creates an application and an endpoint, and shows API errors next to the field',
    TIMEOUT,
    async () => {
      const page = await signedIn();
      await page.getByRole('link', { name: 'Applications' }).click();
      await page.getByRole('button', { name: 'New application' }).click();
      await page.getByLabel('Name').fill('Acme Corp');
      await page.getByLabel('UID (optional)').fill('acme');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByRole('heading', { name: 'Acme Corp: endpoints' }).waitFor();
      expect((await herald.api('GET', '/api/v1/app/acme')).body.name).toBe('Acme Corp');

      // The same uid again: the 409 is shown under the UID field, in the server's words.
      await page.getByRole('link', { name: 'Applications' }).first().click();
      await page.getByRole('button', { name: 'New application' }).click();
      await page.getByLabel('Name').fill('Acme again');
      await page.getByLabel('UID (optional)').fill('acme');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByText('An application with this uid already exists.').waitFor();
      await page.getByRole('link', { name: 'Acme Corp' }).click();

      await page.getByRole('link', { name: 'Add endpoint' }).click();
      // Checked in the browser first…
      await page.getByLabel('Endpoint URL').fill('example.com/hooks');
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      await page.getByText('This is not a complete URL').waitFor();
      // …and by Herald, whose 422 lands under the same field.
      await page.getByLabel('Endpoint URL').fill('http://10.1.2.3/hooks');
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      await page.getByText(/private or reserved address/).waitFor();

      await page.getByLabel('Endpoint URL').fill(receiver.url('/acme'));
      await page.getByLabel('Description').fill('Production receiver');
      await page.getByLabel('Only the ones I choose').check();
      await page.getByRole('checkbox', { name: /invoice\.paid/ }).check();
      await page.getByLabel('Channels (optional)').fill('eu, us');
      await page.getByLabel('Rate limit (optional)').fill('20');
      await page.getByRole('button', { name: 'Add header' }).click();
      await page.getByLabel('Header 1 name').fill('X-Team');
      await page.getByLabel('Header 1 value').fill('billing');
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      await page.getByRole('heading', { name: receiver.url('/acme'), exact: true }).waitFor();

      const list = await herald.api('GET', '/api/v1/app/acme/endpoint');
      expect(list.body.data).toHaveLength(1);
      const endpoint = list.body.data[0];
      expect(endpoint).toMatchObject({
        description: 'Production receiver',
        eventTypes: ['invoice.paid'],
        channels: ['eu', 'us'],
        throttleRate: 20,
      });
      expect(
        (await herald.api('GET', `/api/v1/app/acme/endpoint/${endpoint.id}/headers`)).body.headers,
      ).toEqual({
        'X-Team': 'billing',
      });
      // Edit: a new description, no rate limit, the header removed.
      await page
        .getByRole('navigation', { name: 'Endpoint' })
        .getByRole('link', { name: 'Settings' })
        .click();
      await expect.poll(() => page.getByLabel('Header 1 value').inputValue()).toBe('billing');
      await page.getByLabel('Description').fill('Production receiver (EU)');
      await page.getByLabel('Rate limit (optional)').fill('');
      await page.getByRole('button', { name: 'Remove header X-Team' }).click();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved.').waitFor();
      const edited = (await herald.api('GET', `/api/v1/app/acme/endpoint/${endpoint.id}`)).body;
      expect(edited).toMatchObject({
        description: 'Production receiver (EU)',
        throttleRate: null,
        eventTypes: ['invoice.paid'],
      });
      expect(
        (await herald.api('GET', `/api/v1/app/acme/endpoint/${endpoint.id}/headers`)).body.headers,
      ).toEqual({});

      await page.getByRole('link', { name: 'Endpoints' }).first().click();
      await page.getByRole('cell', { name: /Production receiver \(EU\)/ }).waitFor();
      await screenshot(page, 'endpoints');

      // Search opens an application by its uid from anywhere in the list.
      await page.getByRole('link', { name: 'Applications' }).first().click();
      await page.getByRole('searchbox', { name: 'Search applications' }).fill('acme');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Acme Corp: endpoints' }).waitFor();
    },
  );

  it('sends a test event, shows the attempt with its response, and resends it', TIMEOUT, async () => {
    const { app, endpoint, path } = await appWithEndpoint('Tester');
    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${app.id}/endpoints/${endpoint.id}/test`);
    await page.getByLabel('Event type').selectOption('invoice.paid');
    const editor = page.locator('.cm-content');
    await expect.poll(() => editor.textContent()).toContain('"in_1001"');
    await page.getByText('Valid JSON that matches the event type’s schema.').waitFor();

    // The editor checks as you type: syntax first, then the schema.
    await editor.fill('{\n  "invoiceId": "in_1",\n  "amount": 5,\n}');
    await page.getByText(/Not valid JSON, line 4, column 1/).waitFor();
    expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    await editor.fill('{ "invoiceId": "in_1", "amount": "five" }');
    await page.getByText('should be an integer, not a string').waitFor();
    await page.getByRole('button', { name: 'Reset to example' }).click();
    await page.getByText('Valid JSON that matches the event type’s schema.').waitFor();

    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByTestId('test-attempt');
    await result.getByText('Succeeded').waitFor();
    await result.getByText(/HTTP 200/).waitFor();
    await result.getByText('"received": true').waitFor();
    await screenshot(page, 'test-delivery');

    await eventually(() => requestsTo(path).length === 1);
    const delivered = requestsTo(path);
    expect(JSON.parse(delivered[0]!.body)).toEqual(INVOICE_EXAMPLE);
    const msgId = delivered[0]!.headers['webhook-id']!;

    await result.getByRole('link', { name: 'Open the attempt' }).click();
    await page.getByRole('heading', { name: /HTTP 200/ }).waitFor();
    await page.getByText(msgId).first().waitFor();
    await page.getByText('"in_1001"').waitFor();
    const secret = (await herald.api('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret`)).body.key;
    expect(await page.content()).not.toContain(secret.replace(/^whsec_/, ''));
    await screenshot(page, 'attempt');

    await page.getByRole('button', { name: 'Resend' }).click();
    await page.getByText('Resent: a new attempt is on its way.').waitFor();
    await eventually(() => requestsTo(path).length === 2);
    expect(requestsTo(path)[1]!.headers['webhook-id']).toBe(msgId);

    await page.getByRole('link', { name: msgId }).click();
    await expect.poll(() => page.getByText('manual').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.getByRole('link', { name: /^Attempt atmpt_.*Succeeded$/ }).count()).toBe(2);
  });

  it(
    'edits a payload filter, checks it as you type and shows how many recent messages it would have matched',
    TIMEOUT,
    async () => {
      const { app, endpoint } = await appWithEndpoint('Filtering');
      const big: string[] = [];
      for (const amount of [50, 20_000, 700, 15_000]) {
        const res = await herald.api('POST', `/api/v1/app/${app.id}/msg`, {
          eventType: 'customer.created',
          payload: { data: { amount } },
        });
        if (amount >= 10_000) big.push(res.body.id);
      }
      const page = await signedIn();
      await page.goto(`${herald.url}/apps/${app.id}/endpoints/${endpoint.id}/edit`);
      const editor = page.locator('.cm-content');
      await editor.waitFor();
      await editor.fill('{"data.amount": {"$gte": 10000}}');
      await page.getByText(/Would have matched 2 of the last 4 messages/).waitFor();
      await page.getByRole('link', { name: big[0]! }).waitFor();
      // Herald's own check, as you type: the message points at the operator.
      await editor.fill('{"data.amount": {"$gte": true}}');
      await page.getByText(/data\.amount\.\$gte: .*takes a number or a string/).waitFor();
      await editor.fill('{"data.amount": {"$gte": 10000');
      await page.getByText(/This is not valid JSON/).waitFor();
      await editor.fill('{"data.amount": {"$gte": 10000}}');
      await page.getByText(/Would have matched 2 of the last 4/).waitFor();
      await screenshot(page, 'endpoint-filter');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved.').waitFor();
      const saved = (await herald.api('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}`)).body;
      expect(saved.filter).toEqual({ 'data.amount': { $gte: 10_000 } });
      // The matched messages are links to their pages.
      await page.getByRole('link', { name: big[1]! }).click();
      await page.getByText(big[1]!).first().waitFor();
    },
  );

  it('reveals the signing secret and rotates it only after asking', TIMEOUT, async () => {
    const { app, endpoint, path } = await appWithEndpoint('Rotator');
    const secretPath = `/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret`;
    const before = (await herald.api('GET', secretPath)).body.key as string;
    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${app.id}/endpoints/${endpoint.id}`);
    const value = page.getByTestId('secret-value');
    expect(await value.textContent()).not.toContain('whsec_');
    await page.getByRole('button', { name: 'Reveal' }).click();
    await expect.poll(() => value.textContent()).toBe(before);

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await herald.api('GET', secretPath)).body.key).toBe(before);

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('The secret was rotated.').waitFor();
    const after = (await herald.api('GET', secretPath)).body.key as string;
    expect(after).not.toBe(before);
    await expect.poll(() => value.textContent()).toBe(after);

    // Deliveries are now signed with the new secret (and the old one, during the grace period).
    await herald.api('POST', `/api/v1/app/${app.id}/msg`, {
      eventType: 'customer.created',
      payload: { id: 'c1' },
    });
    await eventually(() => requestsTo(path).length === 1);
    const request = requestsTo(path)[0]!;
    expect(new Webhook(after).verify(request.body, request.headers)).toEqual({ id: 'c1' });
  });

  it('filters the history to failed attempts, then counts and recovers the failures', TIMEOUT, async () => {
    const { app, endpoint, path } = await appWithEndpoint('Recoverer');
    failing.add(path);
    for (const n of [1, 2])
      await herald.api('POST', `/api/v1/app/${app.id}/msg`, {
        eventType: 'invoice.paid',
        payload: { invoiceId: `in_${n}`, amount: n },
      });
    // Three quick retries (the test schedule), then each message has failed for good.
    await eventually(async () => {
      const res = await herald.api('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/msg?status=2`);
      return res.body.data?.length === 2;
    });
    const failedIds = new Set(requestsTo(path).map((r) => r.headers['webhook-id']));
    expect(failedIds.size).toBe(2);

    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${app.id}/endpoints/${endpoint.id}/attempts`);
    await page.getByLabel('Status').selectOption({ label: 'Failed' });
    await expect.poll(() => page.url()).toContain('status=2');
    await expect.poll(() => page.getByRole('link', { name: /Failed$/ }).count()).toBe(8);
    expect(await page.getByRole('link', { name: /Succeeded$/ }).count()).toBe(0);

    failing.delete(path);
    await page.getByRole('navigation', { name: 'Endpoint' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Recover failed messages…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send the failed messages again?' });
    await dialog.getByText('Herald found 2 failed messages for this endpoint').waitFor();
    const sentBefore = requestsTo(path).length;
    await dialog.getByRole('button', { name: 'Recover' }).click();
    await page.getByText(/Recovery (started|finished)/).waitFor();
    await eventually(() => requestsTo(path).length === sentBefore + 2);
    const recovered = requestsTo(path).slice(sentBefore);
    expect(new Set(recovered.map((r) => r.headers['webhook-id']))).toEqual(failedIds);
  });

  it('disables, enables and deletes an endpoint, each only after confirmation', TIMEOUT, async () => {
    const { app, endpoint } = await appWithEndpoint('Lifecycle');
    const apiPath = `/api/v1/app/${app.id}/endpoint/${endpoint.id}`;
    const page = await signedIn();
    await page.goto(`${herald.url}/apps/${app.id}/endpoints/${endpoint.id}`);

    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable this endpoint?' });
    await page.keyboard.press('Escape');
    await disable.waitFor({ state: 'hidden' });
    expect((await herald.api('GET', apiPath)).body.disabled).toBe(false);
    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    await disable.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable endpoint' }).waitFor();
    expect((await herald.api('GET', apiPath)).body.disabled).toBe(true);
    await page.getByText(/Disabled: Disabled by the API/).waitFor();
    await page.getByRole('button', { name: 'Enable endpoint' }).click();
    await page.getByRole('button', { name: 'Disable endpoint' }).waitFor();
    expect((await herald.api('GET', apiPath)).body.disabled).toBe(false);

    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this endpoint?' })
      .getByRole('button', { name: 'Delete endpoint' })
      .click();
    await page.getByRole('heading', { name: 'Lifecycle: endpoints' }).waitFor();
    expect((await herald.api('GET', apiPath)).status).toBe(404);
  });

  it('shows the event catalog with schemas, examples and a receiver snippet to copy', TIMEOUT, async () => {
    const page = await signedIn();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: herald.url });
    await page.getByRole('link', { name: 'Event catalog' }).click();
    await page.getByText('invoice.paid', { exact: true }).click();
    const entry = page.locator('details', { hasText: 'invoice.paid' });
    await entry.getByRole('figure', { name: 'Example of invoice.paid' }).getByText('"in_1001"').waitFor();
    await entry
      .getByRole('figure', { name: 'Schema of invoice.paid' })
      .getByText('"invoiceId"')
      .first()
      .waitFor();
    await entry.getByLabel('Language').selectOption('python');
    await entry.getByRole('button', { name: 'Copy code' }).click();
    await entry.getByText('Copied').waitFor();
    const copied = await page.evaluate(() =>
      (globalThis as unknown as BrowserGlobals).navigator.clipboard.readText(),
    );
    expect(copied).toContain('from standardwebhooks');
    expect(copied).toContain('for invoice.paid');
    await page.getByRole('heading', { name: 'Event catalog' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'catalog');
  });

  it('charts deliveries on the overview and lists endpoints disabled recently', TIMEOUT, async () => {
    const { app, endpoint } = await appWithEndpoint('Overview');
    await herald.api('POST', `/api/v1/app/${app.id}/msg`, {
      eventType: 'customer.created',
      payload: { id: 'o1' },
    });
    const broken = (
      await herald.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: receiver.url('/broken') })
    ).body;
    await herald.api('PATCH', `/api/v1/app/${app.id}/endpoint/${broken.id}`, { disabled: true });
    await eventually(async () => {
      const res = await herald.api('GET', `/api/v1/app/${app.id}/attempt/endpoint/${endpoint.id}`);
      return res.body.data?.length === 1;
    });

    const page = await signedIn();
    const attempts = page.locator('.figures div', { hasText: 'Attempts in the last hour' }).locator('dd');
    await expect
      .poll(async () => Number(((await attempts.textContent()) ?? '').replace(/\D/g, '')))
      .toBeGreaterThan(0);
    await page.locator('.chart-host canvas').first().waitFor();
    await page.getByRole('link', { name: receiver.url('/broken'), exact: true }).waitFor();
    await screenshot(page, 'overview');
    await page.getByText('Last day').click();
    await expect
      .poll(() => page.getByRole('img', { name: /Deliveries per minute:.*the last day/ }).count())
      .toBe(1);
  });
});
