import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpiringCache, LOOKUP_TTL_MS } from './expiring-cache.js';

/** A loader that counts its calls and answers what `values` holds for the key at call time. */
function loader(values: Map<string, string | undefined>) {
  const calls: string[] = [];
  return {
    calls,
    load: (key: string) => async () => {
      calls.push(key);
      return values.get(key);
    },
  };
}

/** A cache of hits only, of up to ten keys, unless told otherwise. */
const newCache = (options: { maxEntries?: number; cacheMisses?: boolean } = {}) =>
  new ExpiringCache<string | undefined>({ maxEntries: 10, cacheMisses: false, ...options });

describe('ExpiringCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers from memory within the TTL and asks again after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const values = new Map([['a', 'one']]);
    const { calls, load } = loader(values);
    const cache = newCache();
    expect(await cache.get('a', load('a'))).toBe('one');
    values.set('a', 'two');
    vi.advanceTimersByTime(LOOKUP_TTL_MS - 1);
    expect(await cache.get('a', load('a'))).toBe('one');
    vi.advanceTimersByTime(1);
    expect(await cache.get('a', load('a'))).toBe('two');
    expect(calls).toEqual(['a', 'a']);
  });

  it('asks again for a key not found, unless misses are cached', async () => {
    const { calls, load } = loader(new Map());
    const hitsOnly = newCache();
    await hitsOnly.get('x', load('x'));
    await hitsOnly.get('x', load('x'));
    expect(calls).toEqual(['x', 'x']);
    const withMisses = newCache({ cacheMisses: true });
    await withMisses.get('y', load('y'));
    await withMisses.get('y', load('y'));
    expect(calls).toEqual(['x', 'x', 'y']);
  });

  it('shares one load among concurrent lookups of a key', async () => {
    const { calls, load } = loader(new Map([['k', 'v']]));
    const cache = newCache();
    const answers = await Promise.all([cache.get('k', load('k')), cache.get('k', load('k'))]);
    expect(answers).toEqual(['v', 'v']);
    expect(calls).toEqual(['k']);
  });

  it('does not keep what a load read before an invalidation that happened while it ran', async () => {
    const values = new Map([['k', 'old']]);
    const { calls, load } = loader(values);
    const cache = newCache();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const racing = cache.get('k', async () => {
      const read = values.get('k');
      await gate;
      return read;
    });
    values.set('k', 'new');
    cache.invalidate();
    release();
    expect(await racing).toBe('old');
    expect(await cache.get('k', load('k'))).toBe('new');
    expect(calls).toEqual(['k']);
  });

  it('holds at most maxEntries keys, dropping the oldest', async () => {
    const { calls, load } = loader(
      new Map([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ]),
    );
    const cache = newCache({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) await cache.get(key, load(key));
    await cache.get('c', load('c'));
    await cache.get('b', load('b'));
    await cache.get('a', load('a'));
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });
});
