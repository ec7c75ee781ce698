import type { ClaimShares } from './fair-claim.js';
import type { AttemptTable, FifoOnExhausted } from './schema.js';

export type { ClaimShares } from './fair-claim.js';

/** A delivery a worker has claimed, with what it needs to send it (one round trip). */
export interface ClaimedDelivery {
  id: string;
  msgId: string;
  endpointId: string;
  appId: string;
  attemptCount: number;
  triggerType: number;
  eventType: string;
  eventId: string | null;
  payload: string | null;
  msgCreatedAt: number;
  traceParent: string | null;
  /** The API request that published the message (`x-request-id`), for logs. */
  requestId: string | null;
  /** Another worker held it and let its lease expire. */
  reclaimed: boolean;
  url: string;
  endpointUid: string | null;
  appUid: string | null;
  endpointHeaders: string;
  endpointSecrets: string;
  endpointDisabled: boolean;
  endpointThrottleRate: number | null;
  endpointUpdatedAt: number;
  /**
   * The key of its line on a FIFO endpoint ('' = the default key), null when it is in none. The
   * claim hands a key's deliveries over in publish order, only ever from its head, and the worker
   * sends them one at a time.
   */
  orderingKey: string | null;
  /** The endpoint's `fifo_on_exhausted`: a head whose retries run out blocks its key or is skipped. */
  fifoOnExhausted: FifoOnExhausted;
  /** The endpoint's `fifo_batch_size`: consecutive deliveries of one key sent in one request. */
  fifoBatchSize: number;
}

/** What became of one claimed delivery; written in batches. */
export interface DeliveryOutcome {
  deliveryId: string;
  /** The lease owner that claimed it: a write from a worker whose lease was taken over is dropped. */
  owner: string;
  status: number;
  attemptCount: number;
  dueAt: number | null;
  nextAttemptAt: number | null;
  /** The attempt to record; null when the delivery is released or parked without a try. */
  attempt: AttemptTable | null;
  /**
   * It leaves its key's line (delivered, or skipped): the key's next delivery becomes its head. A
   * delivered one leaves whatever this says: it may have joined a line while in flight (its
   * endpoint switched to FIFO), which the worker that judged it did not know.
   */
  leavesLine?: boolean;
}

/** Per-endpoint health changes from one batch (success resets the failure streak). */
export interface EndpointHealth {
  endpointId: string;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** Failures after the last success in this batch (0 when the batch ended on a success). */
  trailingFailures: number;
  /** Time of the first of those trailing failures. */
  firstTrailingFailureAt: number | null;
  /** The worker's view of the endpoint at the end of the batch (DELIVERY_STATE), if it has one. */
  deliveryState?: number;
}

export interface EndpointHealthAfter {
  endpointId: string;
  firstFailureAt: number | null;
  consecutiveFailures: number;
}

/**
 * The queue's hot paths. Each backend implements them with hand-written SQL, because
 * they run for every delivery: claiming, and writing outcomes in batches.
 */
export interface QueueStore {
  /**
   * Leases up to `limit` due deliveries to `owner` until `leaseUntil`, shared fairly across
   * applications and then endpoints (see src/store/fair-claim.ts), each within `shares`, in
   * round-robin order. Only due rows are read, whatever the history. On a FIFO endpoint only the
   * head of each key's line is taken, with the key's next deliveries behind it (a run, in publish
   * order; see src/store/fifo-claim.ts), and never a key whose head is leased, scheduled or blocked.
   *
   * With `only`, the claim looks at those endpoints alone (the ones a publish just gave due
   * deliveries), without the skip-scan over every endpoint owed work: what a new message's
   * claim costs must not grow with another tenant's backlog (1,000 endpoints owed work made
   * every claim on PostgreSQL ~11 ms). The rest are left to the next full claim. FIFO endpoints
   * among them are claimed by their keys' heads as in a full claim.
   */
  claim(
    owner: string,
    limit: number,
    now: number,
    leaseUntil: number,
    shares?: ClaimShares,
    only?: readonly string[],
  ): Promise<ClaimedDelivery[]>;
  /** Writes outcomes, attempts and endpoint health in one transaction. */
  complete(
    outcomes: DeliveryOutcome[],
    health: EndpointHealth[],
    now: number,
  ): Promise<EndpointHealthAfter[]>;
  /**
   * Extends the lease of deliveries `owner` still holds. A live worker keeps what it
   * claimed however long its queue takes; a dead one stops renewing and loses it.
   */
  renew(owner: string, ids: string[], leaseUntil: number): Promise<void>;
  /**
   * Takes up to `want` tokens from the shared bucket `key` (refilled at `ratePerSecond`, holding
   * at most one second's worth) and returns how many it got. Present where several processes
   * share the work (PostgreSQL), so an endpoint's `throttleRate` holds across all of them;
   * absent on SQLite, whose one process keeps the bucket in memory.
   */
  takeTokens?(key: string, ratePerSecond: number, want: number): Promise<number>;
  /** The earliest time anything becomes due, or null when nothing is owed. */
  nextDueAt(): Promise<number | null>;
  /**
   * Records that worker `owner` is alive at `now` (its row is created on the first beat,
   * `startedAt` kept from then on). On PostgreSQL on a connection of its own.
   */
  beat(owner: string, now: number, startedAt: number): Promise<void>;
  /**
   * Finds workers whose last beat is older than `deadBefore`, makes every delivery they lease
   * due at `now` (keeping `lease_owner`, so the next claim reports it `reclaimed` and a late
   * outcome from a worker that was only slow still lands if nobody took it over), and deletes
   * their rows, in one transaction. Returns the dead owners and how many deliveries came back.
   */
  releaseDead(now: number, deadBefore: number): Promise<{ owners: string[]; released: number }>;
  /** Removes `owner`'s heartbeat row (a clean stop). */
  leave(owner: string): Promise<void>;
  /**
   * Makes every delivery leased to `owner`, except `heldIds`, due at `now` (keeping
   * `lease_owner`, so the next claim reports it `reclaimed`). For a worker whose claim failed
   * with its connection: the database may have leased rows whose answer never arrived, and
   * without this they would wait out the whole lease. Returns how many came back.
   */
  releaseUnheld(owner: string, heldIds: string[], now: number): Promise<number>;
}
