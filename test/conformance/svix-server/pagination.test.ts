import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/herald.js';
import { type SvixServer, svixServer } from './harness.js';

/**
 * Svix's list behaviour: `common_test_list` (run by e2e_application, e2e_endpoint and
 * e2e_event_type `test_list`), e2e_endpoint `test_endpoint_list_ordering`, and e2e_attempt's
 * pagination cases.
 */

type List = {
  data: { id?: string; name?: string }[];
  iterator: string | null;
  prevIterator?: string | null;
  done: boolean;
};
const keyOf = (x: { id?: string; name?: string }) => x.id ?? x.name;

/** Svix's `common_test_list`: ten items, then limits, iterators both ways, a bad iterator, the other order. */
async function commonTestList(
  svix: SvixServer,
  path: string,
  create: (i: number) => unknown,
  sortAscending: boolean,
  supportsReverse: boolean,
) {
  const items: { id?: string; name?: string }[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await svix.api('POST', path, create(i));
    expect(res.status, res.text).toBe(201);
    items.push(res.body);
    // Ids are time-sortable to the millisecond: keep the ten apart, as Svix's test does.
    await new Promise((r) => setTimeout(r, 5));
  }
  const list = async (query: string): Promise<List> => {
    const res = await svix.api('GET', `${path}?${query}`);
    expect(res.status, query).toBe(200);
    return res.body;
  };
  const original = await list('with_content=true');
  expect(original.data).toHaveLength(10);
  expect(original.data.map(keyOf)).toEqual((sortAscending ? items : [...items].reverse()).map(keyOf));

  const one = await list('limit=1');
  expect([one.data.length, one.done]).toEqual([1, false]);
  for (const limit of [50, 10]) {
    const all = await list(`limit=${limit}`);
    expect([all.data.length, all.done]).toEqual([10, true]);
  }
  const six = await list('limit=6');
  expect([six.data.length, six.done]).toEqual([6, false]);
  const rest = await list(`limit=6&iterator=${six.iterator}`);
  expect([rest.data.length, rest.done]).toEqual([4, true]);
  const prev = await list(`limit=3&iterator=${rest.prevIterator}`);
  expect(prev.data).toHaveLength(3);
  expect(keyOf(prev.data[0] ?? {})).toBe(keyOf(original.data[3] ?? {}));

  const bad = await svix.api('GET', `${path}?limit=6&iterator=BAD-$$$ITERATOR`);
  expect(bad.status).toBe(422);
  expect(bad.body.detail[0].loc).toEqual(['query', 'iterator']);

  if (supportsReverse) {
    const opposite = sortAscending ? 'descending' : 'ascending';
    const o1 = await list(`limit=3&order=${opposite}`);
    const o2 = await list(`limit=3&order=${opposite}&iterator=${o1.iterator}`);
    const oPrev = await list(`limit=3&order=${opposite}&iterator=${o2.prevIterator}`);
    const keys = original.data.map(keyOf);
    expect(o1.data.map(keyOf)).toEqual([keys[9], keys[8], keys[7]]);
    expect(o2.data.map(keyOf)).toEqual([keys[6], keys[5], keys[4]]);
    expect(oPrev.data.map(keyOf)).toEqual([keys[9], keys[8], keys[7]]);
  }
  // Svix's hard cap: a limit over 250 is refused rather than cut down.
  expect((await svix.api('GET', `${path}?limit=300`)).status).toBe(422);
  // Herald: an order that is neither is refused too (issue 16), not silently ignored.
  expect((await svix.api('GET', `${path}?order=sideways`)).status).toBe(422);
}

for (const backend of BACKENDS) {
  describe(`${backend}: Svix list behaviour (common_test_list)`, () => {
    const svix = svixServer(backend, { worker: false });

    // e2e_application test_list: oldest first, reversible
    it('pages applications oldest first, both ways, and in the other order', async () => {
      await commonTestList(svix, '/api/v1/app/', (i) => ({ name: `App ${i}` }), true, true);
    });

    // e2e_event_type test_list: by name, ascending
    it('pages event types by name', async () => {
      await commonTestList(
        svix,
        '/api/v1/event-type/',
        (i) => ({ name: `test-event-type-${i}`, description: 'test-event-description' }),
        true,
        false,
      );
    });

    // e2e_endpoint test_list: newest first, reversible
    it('pages endpoints newest first, both ways, and in the other order', async () => {
      const app = await svix.createApp('App1');
      await commonTestList(
        svix,
        `/api/v1/app/${app.id}/endpoint/`,
        (i) => ({ url: `https://localhost/${i}`, version: 1 }),
        false,
        true,
      );
    });

    // Issue 16: query values outside their enum are a 422 like body values, on every list
    it('refuses an unknown order, status or status_code_class on any list (422 naming it)', async () => {
      const app = await svix.createApp('enums');
      const ep = await svix.createEndpoint(app.id, 'https://example.com/enums');
      for (const [path, param] of [
        [`/api/v1/app/${app.id}/msg/?order=sideways`, 'order'],
        [`/api/v1/app/${app.id}/endpoint/${ep.id}/msg/?order=sideways`, 'order'],
        [`/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/?status=9`, 'status'],
        [`/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/?status_code_class=600`, 'status_code_class'],
        ['/api/v1/background-task/?status=sideways', 'status'],
      ] as const) {
        const res = await svix.api('GET', path);
        expect(res.status, path).toBe(422);
        expect(res.body.detail, path).toHaveLength(1);
        expect(res.body.detail[0].loc).toEqual(['query', param]);
      }
    });

    // e2e_endpoint test_endpoint_list_ordering
    it('orders endpoints newest first by default and oldest first with order=ascending', async () => {
      const app = await svix.createApp('App1');
      for (let i = 0; i < 5; i++) {
        await svix.createEndpoint(app.id, `https://test.url/${i}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const base = `/api/v1/app/${app.id}/endpoint/`;
      const urls = async (query: string) => {
        const res = await svix.api('GET', `${base}?${query}`);
        return {
          ...res.body,
          urls: res.body.data.map((e: { url: string }) => e.url.replace('https://test.url/', '')),
        };
      };
      const first = await urls('limit=2');
      expect([first.urls, first.done]).toEqual([['4', '3'], false]);
      const second = await urls(`limit=2&iterator=${first.iterator}`);
      expect([second.urls, second.done]).toEqual([['2', '1'], false]);
      const back = await urls(`iterator=${second.prevIterator}`);
      expect([back.urls, back.done]).toEqual([['4', '3'], true]);
      const asc = await urls('limit=3&order=ascending');
      expect([asc.urls, asc.done]).toEqual([['0', '1', '2'], false]);
      const asc2 = await urls(`limit=3&order=ascending&iterator=${asc.iterator}`);
      expect([asc2.urls, asc2.done]).toEqual([['3', '4'], true]);
      const ascBack = await urls(`limit=2&order=ascending&iterator=${asc2.prevIterator}`);
      expect(ascBack.urls).toEqual(['1', '2']);
    });
  });

  describe(`${backend}: Svix e2e_attempt pagination`, () => {
    const svix = svixServer(backend);

    /** Waits until `path` lists `count` attempts, and answers them. */
    const attempts = (path: string, count: number) =>
      eventually(async () => {
        const res = await svix.api('GET', path);
        return res.body.data?.length === count
          ? (res.body.data as { id: string; timestamp: string }[])
          : null;
      }, 5_000);

    // test_combined_before_after_filtering
    it('combines before and after, and keeps paging past them with the iterators', async () => {
      const app = await svix.createApp('test_app');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/combined'));
      const base = `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/`;
      await svix.createMessage(app.id, { test: 1 });
      await attempts(base, 1);
      await new Promise((r) => setTimeout(r, 5));
      const ts1 = new Date().toISOString();
      for (const i of [2, 3]) await svix.createMessage(app.id, { test: i });
      await attempts(base, 3);
      await new Promise((r) => setTimeout(r, 5));
      const ts2 = new Date().toISOString();
      for (const i of [4, 5, 6]) await svix.createMessage(app.id, { test: i });
      await attempts(base, 6);

      const all = (await svix.api('GET', `${base}?limit=10`)).body;
      expect([all.data.length, all.done]).toEqual([6, true]);
      const window = (await svix.api('GET', `${base}?limit=10&before=${ts2}&after=${ts1}`)).body;
      expect([window.data.length, window.done]).toEqual([2, true]);
      const newer = (await svix.api('GET', `${base}?iterator=${window.prevIterator}`)).body;
      expect([newer.data.length, newer.done]).toEqual([3, true]);
      const older = (await svix.api('GET', `${base}?iterator=${window.iterator}`)).body;
      expect([older.data.length, older.done]).toEqual([1, true]);
    });

    // test_pagination_by_endpoint and test_pagination_by_msg
    it('pages attempts by endpoint and by message, with before exclusive and after inclusive', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/paged'));
      const msgs = [];
      for (let i = 1; i <= 6; i++) {
        await new Promise((r) => setTimeout(r, 10));
        msgs.push(await svix.createMessage(app.id, { test: i }));
      }
      const base = `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/`;
      const all = await attempts(base, 6);
      const page = async (query: string) => (await svix.api('GET', `${base}?${query}`)).body;
      const firstThree = await page('limit=3');
      expect(firstThree.data).toEqual(all.slice(0, 3));
      const manual = await page(`limit=3&iterator=${all[2]?.id}`);
      const viaField = await page(`limit=3&iterator=${firstThree.iterator}`);
      expect(manual.data).toEqual(viaField.data);
      expect([manual.data, manual.done]).toEqual([all.slice(3, 6), true]);
      const twoAndThree = await page(`limit=2&iterator=${manual.prevIterator}`);
      expect([twoAndThree.data, twoAndThree.done]).toEqual([all.slice(1, 3), false]);
      const one = await page(`limit=2&iterator=${twoAndThree.prevIterator}`);
      expect([one.data, one.done]).toEqual([all.slice(0, 1), true]);
      // `after` is inclusive: the attempt made at that instant is listed too.
      expect((await page(`after=${all[3]?.timestamp}`)).data).toEqual(all.slice(0, 4));
      // `before` is exclusive.
      expect((await page(`before=${all[2]?.timestamp}`)).data).toEqual(all.slice(3, 6));

      // By message: one attempt each here (Svix's six endpoints give six); the same rules.
      const msgBase = `/api/v1/app/${app.id}/attempt/msg/${msgs[0]?.id}/`;
      const [only] = await attempts(msgBase, 1);
      const at = Date.parse(only?.timestamp ?? '');
      const msgPage = async (query: string) => (await svix.api('GET', `${msgBase}?${query}`)).body.data;
      expect(await msgPage(`after=${new Date(at - 5).toISOString()}`)).toEqual([only]);
      expect(await msgPage(`after=${new Date(at + 5).toISOString()}`)).toEqual([]);
      expect(await msgPage(`before=${new Date(at + 5).toISOString()}`)).toEqual([only]);
      expect(await msgPage(`before=${new Date(at - 5).toISOString()}`)).toEqual([]);
    });

    // test_pagination_forward_and_back
    it('walks 28 attempts forward by tens, then back from the last prevIterator', async () => {
      const app = await svix.createApp('test_app');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/walk'));
      for (let i = 1; i <= 28; i++) await svix.createMessage(app.id, { test: i });
      const base = `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/`;
      await attempts(`${base}?limit=50`, 28);
      const forward: unknown[] = [];
      let iterator: string | null = null;
      let prevIterator: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const out: List = (
          await svix.api('GET', `${base}?limit=10${iterator ? `&iterator=${iterator}` : ''}`)
        ).body;
        forward.push(...out.data);
        prevIterator = out.prevIterator ?? null;
        iterator = out.iterator;
        if (out.done) break;
      }
      expect(forward).toHaveLength(28);
      const backward: unknown[] = [];
      for (let guard = 0; guard < 10; guard++) {
        const out: List = (
          await svix.api('GET', `${base}?limit=10${prevIterator ? `&iterator=${prevIterator}` : ''}`)
        ).body;
        backward.push(...out.data);
        prevIterator = out.prevIterator ?? null;
        if (out.done) break;
      }
      expect(backward).toHaveLength(20);
      expect(forward.slice(0, 10)).toEqual(backward.slice(10, 20));
      expect(forward.slice(10, 20)).toEqual(backward.slice(0, 10));
    });
  });
}
