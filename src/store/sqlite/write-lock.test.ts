import { describe, expect, it } from 'vitest';
import { WriteLock } from './write-lock.js';

describe('WriteLock', () => {
  it('hands the lock over when it is released, and the waiter waits without blocking its thread', async () => {
    const shared = WriteLock.createBuffer();
    const holder = new WriteLock(shared);
    const other = new WriteLock(shared);
    await holder.acquire();
    let taken = false;
    const waiting = other.acquire().then(() => {
      taken = true;
    });
    // The event loop goes on while the other waits: timers still fire.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(taken).toBe(false);
    holder.release();
    await waiting;
    expect(taken).toBe(true);
    other.release();
  });

  it('gives up as SQLite busy when the lock is held past the timeout', async () => {
    const shared = WriteLock.createBuffer();
    await new WriteLock(shared).acquire();
    await expect(new WriteLock(shared).acquire(30)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
  });
});
