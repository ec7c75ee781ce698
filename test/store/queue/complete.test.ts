import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointHealth } from '../../../src/store/queue.js';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { attemptOf, healthOf, openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;
const T0 = 1_700_000_000_000;

/** One batch's health change for `endpointId`; by default a lone success at T0 + 10 s. */
const health = (endpointId: string, fields: Partial<EndpointHealth> = {}) =>
  healthOf(endpointId, { lastSuccessAt: T0 + 10_000, ...fields });

for (const backend of BACKENDS) {
  describe(`${backend}: queue complete`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    it('records each attempt and moves each delivery to the state its outcome names, in one batch', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const sent = await q.delivery(app, ep, { dueAt: now - 3 });
      const retried = await q.delivery(app, ep, { dueAt: now - 2 });
      const released = await q.delivery(app, ep, { dueAt: now - 1 });
      const claimed = new Map(
        (await q.store.queue.claim('w1', 10, now, now + LEASE_MS)).map((d) => [d.id, d]),
      );
      const claimOf = (id: string) => {
        const d = claimed.get(id);
        if (!d) throw new Error(`${id} was not claimed`);
        return d;
      };
      const ok = attemptOf(claimOf(sent), { created_at: now + 1 });
      const failed = attemptOf(claimOf(retried), {
        created_at: now + 2,
        status: STATUS.fail,
        response_status_code: 503,
        response: 'busy',
        error_class: 'http_5xx',
        error_message: 'HTTP 503',
      });
      await q.store.queue.complete(
        [
          outcome(sent, 'w1', { attempt: ok }),
          outcome(retried, 'w1', {
            status: STATUS.pending,
            attemptCount: 1,
            dueAt: now + 5_000,
            nextAttemptAt: now + 5_000,
            attempt: failed,
          }),
          // Released without a try (e.g. the worker is shutting down): due again, no attempt.
          outcome(released, 'w1', { status: STATUS.pending, attemptCount: 0, dueAt: now }),
        ],
        [],
        Date.now(),
      );
      expect(await q.row(sent)).toMatchObject({
        status: STATUS.success,
        attempt_count: 1,
        due_at: null,
        next_attempt_at: null,
        lease_owner: null,
      });
      expect(await q.row(retried)).toMatchObject({
        status: STATUS.pending,
        attempt_count: 1,
        due_at: now + 5_000,
        next_attempt_at: now + 5_000,
        lease_owner: null,
      });
      expect(await q.row(released)).toMatchObject({
        status: STATUS.pending,
        attempt_count: 0,
        due_at: now,
        lease_owner: null,
      });
      expect(await q.attempts(ep)).toEqual([ok, failed]);
    });

    it('resets the failure streak on a success and returns the endpoint’s health', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app, { consecutiveFailures: 4, firstFailureAt: T0 });
      const after = await q.store.queue.complete([], [health(ep)], Date.now());
      expect(after).toEqual([{ endpointId: ep, firstFailureAt: null, consecutiveFailures: 0 }]);
      expect(await q.endpointHealth(ep)).toEqual({
        consecutive_failures: 0,
        first_failure_at: null,
        last_success_at: T0 + 10_000,
        last_failure_at: null,
      });
    });

    it('adds trailing failures to the streak and keeps when the streak began', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app, { consecutiveFailures: 2, firstFailureAt: T0 });
      const after = await q.store.queue.complete(
        [],
        [
          health(ep, {
            lastSuccessAt: null,
            lastFailureAt: T0 + 30_000,
            trailingFailures: 3,
            firstTrailingFailureAt: T0 + 20_000,
          }),
        ],
        Date.now(),
      );
      expect(after).toEqual([{ endpointId: ep, firstFailureAt: T0, consecutiveFailures: 5 }]);
      expect(await q.endpointHealth(ep)).toMatchObject({
        last_success_at: null,
        last_failure_at: T0 + 30_000,
      });
    });

    it('starts a streak at the first failure of an endpoint that had none', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const after = await q.store.queue.complete(
        [],
        [
          health(ep, {
            lastSuccessAt: null,
            lastFailureAt: T0 + 20_000,
            trailingFailures: 1,
            firstTrailingFailureAt: T0 + 20_000,
          }),
        ],
        Date.now(),
      );
      expect(after).toEqual([{ endpointId: ep, firstFailureAt: T0 + 20_000, consecutiveFailures: 1 }]);
    });

    it('starts a new streak from failures that followed a success in the same batch', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app, { consecutiveFailures: 7, firstFailureAt: T0 });
      const after = await q.store.queue.complete(
        [],
        [
          health(ep, {
            lastSuccessAt: T0 + 10_000,
            lastFailureAt: T0 + 30_000,
            trailingFailures: 2,
            firstTrailingFailureAt: T0 + 20_000,
          }),
        ],
        Date.now(),
      );
      expect(after).toEqual([{ endpointId: ep, firstFailureAt: T0 + 20_000, consecutiveFailures: 2 }]);
      expect(await q.endpointHealth(ep)).toEqual({
        consecutive_failures: 2,
        first_failure_at: T0 + 20_000,
        last_success_at: T0 + 10_000,
        last_failure_at: T0 + 30_000,
      });
    });

    it('keeps the last success and failure times a batch does not change', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      await q.store.queue.complete([], [health(ep)], Date.now());
      await q.store.queue.complete(
        [],
        [
          health(ep, {
            lastSuccessAt: null,
            lastFailureAt: T0 + 60_000,
            trailingFailures: 1,
            firstTrailingFailureAt: T0 + 60_000,
          }),
        ],
        Date.now(),
      );
      expect(await q.endpointHealth(ep)).toMatchObject({
        last_success_at: T0 + 10_000,
        last_failure_at: T0 + 60_000,
      });
    });

    it('drops the attempt of a message deleted with its application meanwhile, and writes the rest of the batch', async () => {
      const gone = await q.app();
      const goneEp = await q.endpoint(gone);
      const kept = await q.app();
      const keptEp = await q.endpoint(kept);
      const now = Date.now();
      const goneId = await q.delivery(gone, goneEp, { dueAt: now - 2 });
      const keptId = await q.delivery(kept, keptEp, { dueAt: now - 1 });
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed.map((d) => d.id).sort()).toEqual([goneId, keptId].sort());
      await q.store.db.deleteFrom('application').where('id', '=', gone).execute();

      const after = await q.store.queue.complete(
        claimed.map((d) => outcome(d.id, 'w1', { attempt: attemptOf(d) })),
        [health(goneEp), health(keptEp)],
        Date.now(),
      );

      expect(after).toEqual([{ endpointId: keptEp, firstFailureAt: null, consecutiveFailures: 0 }]);
      expect(await q.row(keptId)).toMatchObject({ status: STATUS.success, lease_owner: null });
      expect(await q.attempts(keptEp)).toHaveLength(1);
      expect(await q.attempts(goneEp)).toEqual([]);
    });

    it('returns health only for endpoints that still exist', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const after = await q.store.queue.complete([], [health('ep_deleted'), health(ep)], Date.now());
      expect(after).toEqual([{ endpointId: ep, firstFailureAt: null, consecutiveFailures: 0 }]);
    });
  });
}
