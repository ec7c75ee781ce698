import { describe, expect, it } from 'vitest';
import { classifyStoreError } from './faults.js';
import { StoreHealth } from './health.js';

const err = (code: string | undefined, message: string) => Object.assign(new Error(message), { code });

describe('classifyStoreError', () => {
  it.each([
    [err('57P01', 'terminating connection due to administrator command'), 'unavailable'],
    [err('57P03', 'the database system is starting up'), 'unavailable'],
    [err('08006', 'connection failure'), 'unavailable'],
    [err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'unavailable'],
    [err(undefined, 'Connection terminated unexpectedly'), 'unavailable'],
    [err('25006', 'cannot execute INSERT in a read-only transaction'), 'unavailable'],
    [err('53100', 'could not extend file "base/16384/2619": No space left on device'), 'storage_full'],
    [err('XX000', 'could not extend file "base/1/2": wrote only 4096 of 8192 bytes'), 'storage_full'],
    [err('SQLITE_FULL', 'database or disk is full'), 'storage_full'],
    [err('ENOSPC', 'no space left on device'), 'storage_full'],
    [err('SQLITE_IOERR_WRITE', 'disk I/O error'), 'unavailable'],
    [err('SQLITE_BUSY', 'database is locked'), 'busy'],
    [err('40P01', 'deadlock detected'), 'busy'],
    [err('40001', 'could not serialize access due to concurrent update'), 'busy'],
    [Object.assign(new AggregateError([err('ECONNREFUSED', 'refused')]), { code: undefined }), 'unavailable'],
  ])('classifies %s', (error, kind) => {
    expect(classifyStoreError(error)?.kind).toBe(kind);
  });

  it.each([
    err('23505', 'duplicate key value violates unique constraint'),
    err('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'),
    err('42P01', 'relation "nope" does not exist'),
    new TypeError('x is undefined'),
    null,
  ])('leaves %s to the caller (not a database fault)', (error) => {
    expect(classifyStoreError(error)).toBeNull();
  });
});

describe('StoreHealth', () => {
  it('logs one line when an outage starts and one when a probe finds the database back', async () => {
    const lines: string[] = [];
    let up = false;
    const health = new StoreHealth('PostgreSQL db:5432/herald', null, async () => {
      if (!up) throw err('ECONNREFUSED', 'connect ECONNREFUSED');
    });
    health.setLogger({ warn: (_f, m) => lines.push(m), info: (_f, m) => lines.push(m) });
    const back = new Promise<void>((resolve) => health.onAvailable(resolve));
    for (let i = 0; i < 50; i++)
      health.report(err('57P01', 'terminating connection due to administrator command'));
    expect(health.outage?.kind).toBe('unavailable');
    expect((await health.check())?.detail).toContain('connection lost');
    up = true;
    await back;
    expect(health.outage).toBeNull();
    expect(lines).toEqual([
      'database outage: PostgreSQL db:5432/herald: connection lost: terminating connection due to administrator command (57P01)',
      expect.stringMatching(/^database is back: PostgreSQL db:5432\/herald \(the outage lasted [\d.]+ s\)$/),
    ]);
    health.close();
  });

  it('keeps a full disk open after an in-place write succeeds; only the room probe closes it', async () => {
    let room = false;
    const health = new StoreHealth('SQLite database /d/h.db', '/d/h.db', async () => {
      if (!room) throw err('SQLITE_FULL', 'database or disk is full');
    });
    health.report(err('SQLITE_FULL', 'database or disk is full'));
    health.succeeded();
    expect(health.outage).toMatchObject({
      kind: 'storage_full',
      detail: 'disk full at /d/h.db (database or disk is full)',
    });
    room = true;
    await new Promise<void>((resolve) => health.onAvailable(resolve));
    expect(health.outage).toBeNull();
    health.close();
  });
});
