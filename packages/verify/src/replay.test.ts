import { describe, expect, it } from 'vitest';
import { MemoryReplayStore } from './replay.js';

describe('MemoryReplayStore', () => {
  it('remembers an id until its TTL passes', () => {
    let now = 1_000_000;
    const store = new MemoryReplayStore({ now: () => now });
    store.remember('msg_1', 60);
    expect(store.seen('msg_1')).toBe(true);
    expect(store.seen('msg_2')).toBe(false);
    now += 59_999;
    expect(store.seen('msg_1')).toBe(true);
    now += 1;
    expect(store.seen('msg_1')).toBe(false);
  });

  it('stays within maxEntries under a flood of distinct ids, forgetting the oldest first', () => {
    const store = new MemoryReplayStore({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) store.remember(`msg_${i}`, 3600);
    expect(store.size).toBe(100);
    expect(store.seen('msg_9999')).toBe(true);
    expect(store.seen('msg_9900')).toBe(true);
    expect(store.seen('msg_9899')).toBe(false);
  });

  it('prunes expired ids as new ones arrive', () => {
    let now = 0;
    const store = new MemoryReplayStore({ now: () => now });
    for (let i = 0; i < 50; i++) store.remember(`old_${i}`, 10);
    now = 20_000;
    store.remember('new', 10);
    expect(store.size).toBe(1);
  });
});
