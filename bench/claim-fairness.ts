/**
 * Times one claim of 256 on SQLite under three backlogs, for the fair claim against the
 * strategies it replaced (the numbers quoted in src/store/fair-claim.ts). Run with
 * `npx tsx bench/claim-fairness.ts`; a shared machine makes them noisy, compare within a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import { newId } from '../src/core/ids.js';
import { openStore } from '../src/store/open.js';

const CLAIM = 256;
const ROUNDS = 50;

async function measure(label: string, endpoints: number, perEndpoint: number, finished: number) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-claim-'));
  const file = join(dir, 'herald.db');
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  await store.migrate();
  await store.close();
  const raw = new SqliteDatabase(file);
  const now = Date.now();
  const app = newId('app');
  raw
    .prepare(
      `INSERT INTO application (id, name, metadata, created_at, updated_at) VALUES (?, 'a', '{}', ?, ?)`,
    )
    .run(app, now, now);
  const insertEndpoint =
    raw.prepare(`INSERT INTO endpoint (id, app_id, url, description, headers, metadata, disabled,
    secrets, consecutive_failures, created_at, updated_at) VALUES (?, ?, 'http://127.0.0.1:9/', '', '{}', '{}', 0, '[]', 0, ?, ?)`);
  const insertMessage =
    raw.prepare(`INSERT INTO message (id, app_id, event_type, payload, created_at, payload_expires_at)
    VALUES (?, ?, 'e', '{}', ?, ?)`);
  const insertDelivery =
    raw.prepare(`INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, due_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (let e = 0; e < endpoints; e++) {
      const ep = newId('ep');
      insertEndpoint.run(ep, app, now, now);
      for (let i = 0; i < perEndpoint + finished; i++) {
        const msg = newId('msg');
        insertMessage.run(msg, app, now, now + 86_400_000);
        insertDelivery.run(
          newId('dlv'),
          msg,
          ep,
          app,
          i < perEndpoint ? 1 : 0,
          i < perEndpoint ? now - 1 : null,
          now,
          now,
        );
      }
    }
  })();
  raw.close();
  const timed = (fn: () => unknown) => {
    const started = performance.now();
    for (let i = 0; i < ROUNDS; i++) fn();
    return ((performance.now() - started) / ROUNDS).toFixed(2);
  };
  const direct = new SqliteDatabase(file);
  const oldest = direct.prepare('SELECT id FROM delivery WHERE due_at <= ? ORDER BY due_at LIMIT ?');
  const windowed =
    direct.prepare(`SELECT id FROM (SELECT id, due_at, row_number() OVER (PARTITION BY endpoint_id ORDER BY due_at) AS rn
    FROM delivery WHERE due_at <= ?) ORDER BY rn, due_at LIMIT ?`);
  const skipScan = direct.prepare(`WITH RECURSIVE owed(id) AS (
      SELECT (SELECT endpoint_id FROM delivery WHERE due_at IS NOT NULL ORDER BY endpoint_id LIMIT 1)
      UNION ALL
      SELECT (SELECT endpoint_id FROM delivery WHERE due_at IS NOT NULL AND endpoint_id > owed.id ORDER BY endpoint_id LIMIT 1)
      FROM owed WHERE owed.id IS NOT NULL)
    SELECT owed.id FROM owed JOIN endpoint e ON e.id = owed.id
    WHERE (SELECT min(due_at) FROM delivery WHERE endpoint_id = owed.id AND due_at IS NOT NULL) <= ?`);
  console.log(`  skip-scan alone ${timed(() => skipScan.all(now))} ms`);
  const eps = (skipScan.all(now) as { id: string }[]).slice(0, CLAIM);
  const take = direct.prepare(
    'SELECT id, lease_owner FROM delivery WHERE endpoint_id = ? AND due_at <= ? AND due_at IS NOT NULL ORDER BY due_at LIMIT ?',
  );
  console.log(
    `  takes alone ${timed(() => {
      for (const e of eps) take.all(e.id, now, Math.ceil(CLAIM / eps.length));
    })} ms`,
  );
  const oldestMs = timed(() => oldest.all(now, CLAIM));
  const windowMs = timed(() => windowed.all(now, CLAIM));
  direct.close();
  const fair = await openStore({ databaseUrl: `sqlite:${file}` });
  // The lease ends before `now`, so every round sees the same backlog.
  let total = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await fair.queue.claim('bench', CLAIM, now, now - 1);
    total += performance.now() - started;
  }
  await fair.close();
  let mainTotal = 0;
  if (process.env.MAIN_STORE) {
    const { openStore: openMain } = await import(process.env.MAIN_STORE);
    const main = await openMain({ databaseUrl: `sqlite:${file}` });
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now();
      await main.queue.claim('bench', CLAIM, now, now - 1);
      mainTotal += performance.now() - started;
    }
    await main.close();
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `${label}: oldest-first ${oldestMs} ms, window ${windowMs} ms, fair ${(total / ROUNDS).toFixed(2)} ms a claim, main's claim ${(mainTotal / ROUNDS).toFixed(2)} ms`,
  );
}

await measure('1 endpoint × 100,000 due', 1, 100_000, 0);
await measure('1,000 endpoints × 10 due', 1_000, 10, 0);
await measure('100 endpoints × 1,000 due', 100, 1_000, 0);
await measure('1,000 endpoints × 1 due + 100 finished each', 1_000, 1, 100);
