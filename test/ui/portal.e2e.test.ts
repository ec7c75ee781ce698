import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { type BrowserGlobals, describeInBrowser, launchBrowser, screenshot, watchErrors } from './browser.js';

const TIMEOUT = { timeout: 90_000 };

describeInBrowser('sqlite: the consumer portal in a real browser', () => {
  let herald: TestHerald;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[];
  let acmeEndpoint: { id: string; url: string };
  let globex: { id: string };
  let globexEndpoint: { id: string; url: string };

  beforeAll(async () => {
    [herald, receiver, browser] = await Promise.all([
      startTestHerald('sqlite'),
      startReceiver(),
      launchBrowser(),
    ]);
    await herald.api('POST', '/api/v1/event-type', {
      name: 'order.shipped',
      description: 'An order left the warehouse.',
    });
    await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
    globex = (await herald.api('POST', '/api/v1/app', { name: 'Globex', uid: 'globex' })).body;
    acmeEndpoint = (
      await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: receiver.url('/acme'),
        description: 'Acme receiver',
      })
    ).body;
    globexEndpoint = (
      await herald.api('POST', '/api/v1/app/globex/endpoint', { url: receiver.url('/globex') })
    ).body;
    await herald.api('POST', '/api/v1/app/acme/msg', {
      eventType: 'order.shipped',
      payload: { order: 'o_1' },
    });
    await eventually(async () => {
      const res = await herald.api('GET', `/api/v1/app/acme/attempt/endpoint/${acmeEndpoint.id}`);
      return res.body.data?.length === 1;
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

  /** A fresh portal link for Acme, on the address this test's Herald listens on, with `query` added. */
  async function portalLink(query = ''): Promise<{ href: string; token: string }> {
    const access = await herald.api('POST', '/api/v1/auth/app-portal-access/acme', {});
    expect(access.status).toBe(200);
    const url = new URL(access.body.url);
    expect(url.pathname).toBe('/portal');
    expect(url.hash).toContain(`token=${encodeURIComponent(access.body.token)}`);
    return { href: `${herald.url}${url.pathname}${query}${url.hash}`, token: access.body.token };
  }

  async function open(href: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    context = await browser.newContext({ viewport });
    const page = await context.newPage();
    errors = watchErrors(page);
    await page.goto(href);
    return page;
  }

  it('takes the token out of the address bar and shows only its own application', TIMEOUT, async () => {
    const { href, token } = await portalLink();
    const page = await open(href);
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    expect(page.url()).toBe(`${herald.url}/portal`);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('herald.portal'),
      ),
    ).toContain(token);
    await page.getByRole('link', { name: acmeEndpoint.url, exact: true }).waitFor();
    expect(await page.getByText(globexEndpoint.url).count()).toBe(0);
    await page.getByRole('link', { name: 'Acme', exact: true }).waitFor();

    // Another application's endpoint, asked for by address: not found, as if it did not exist.
    await page.goto(`${herald.url}/portal/endpoints/${globexEndpoint.id}`);
    await page
      .getByRole('alert')
      .getByText(/Not found/)
      .waitFor();
    // And with the portal's own token straight against the API.
    const reach = await page.evaluate(
      async ([app, endpoint]) => {
        const w = globalThis as unknown as BrowserGlobals;
        const { token: t } = JSON.parse(w.sessionStorage.getItem('herald.portal') ?? '{}');
        const get = (path: string) =>
          fetch(path, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
        return [
          await get(`/api/v1/app/${app}`),
          await get(`/api/v1/app/${app}/endpoint/${endpoint}`),
          await get('/api/v1/app/globex/endpoint'),
        ];
      },
      [globex.id, globexEndpoint.id],
    );
    expect(reach).toEqual([404, 404, 404]);

    // The session survives a reload (the token is in the tab, not the URL), and sign-out revokes it.
    await page.goto(`${herald.url}/portal/history`);
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await page
      .getByRole('link', { name: /msg_|o_1/ })
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out of the webhooks portal.').waitFor();
    await eventually(
      async () =>
        (await herald.api('GET', '/api/v1/app/acme', undefined, { authorization: `Bearer ${token}` }))
          .status === 401,
    );
  });

  it("wears the platform's name and accent colour when embedded", TIMEOUT, async () => {
    const { href } = await portalLink('?name=Acme%20Billing&accent=%2316a34a');
    const page = await open(href);
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    expect(page.url()).toBe(`${herald.url}/portal?name=Acme%20Billing&accent=%2316a34a`);
    await page.getByRole('link', { name: 'Acme Billing' }).waitFor();
    const background = await page
      .getByRole('link', { name: 'Add endpoint' })
      .evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(22, 163, 74)');
    expect(await page.getByRole('link', { name: acmeEndpoint.url, exact: true }).count()).toBe(1);
    await screenshot(page, 'portal');

    // The portal may be framed by the platform's site; the dashboard may not be framed at all.
    const portalHeaders = (await fetch(`${herald.url}/portal`)).headers;
    expect(portalHeaders.get('content-security-policy')).toContain('frame-ancestors *');
    expect((await fetch(`${herald.url}/`)).headers.get('x-frame-options')).toBe('DENY');
  });

  it('adds an endpoint from a phone-sized screen without sideways scrolling', TIMEOUT, async () => {
    const { href } = await portalLink();
    const page = await open(href, { width: 390, height: 844 });
    await page.getByRole('link', { name: 'Add endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url('/acme-phone'));
    // The payload filter is tried on the application's own messages as it is typed.
    await page.locator('.cm-content').fill('{"order": {"$startsWith": "o_"}}');
    await page.getByText(/Would have matched 1 of the last 1 messages/).waitFor();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('heading', { name: receiver.url('/acme-phone'), exact: true }).waitFor();
    const list = await herald.api('GET', '/api/v1/app/acme/endpoint');
    expect(list.body.data.map((e: { url: string }) => e.url)).toContain(receiver.url('/acme-phone'));
    const created = list.body.data.find((e: { url: string }) => e.url === receiver.url('/acme-phone'));
    expect(created.filter).toEqual({ order: { $startsWith: 'o_' } });
    await page.getByRole('link', { name: 'Endpoints' }).first().click();
    await page.getByRole('link', { name: acmeEndpoint.url, exact: true }).waitFor();
    expect(
      await page.evaluate(() => {
        const w = globalThis as unknown as BrowserGlobals;
        return w.document.documentElement.scrollWidth <= w.innerWidth;
      }),
    ).toBe(true);
    await screenshot(page, 'portal-phone');
  });

  it('says so plainly when the link is incomplete', TIMEOUT, async () => {
    const page = await open(`${herald.url}/portal`);
    await page.getByRole('alert').getByText('This portal link is incomplete').waitFor();
  });
});
