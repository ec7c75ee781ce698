/**
 * The fair claim's plan, shared by both backends: given the endpoints that have due rows
 * (found by a skip-scan of the `delivery_endpoint_due` index) and what the worker can still
 * take of each application and endpoint, how many rows to take from each endpoint, and in
 * which order to hand them over. Max-min fair (water-filling) first across applications,
 * then across each application's endpoints, starting after where the previous claim of this
 * process stopped so that, with more contenders than slots, every one is served in turn.
 *
 * Why this and not `ORDER BY due_at LIMIT n` (one claim of 256 on SQLite, `npx tsx
 * bench/claim-fairness.ts`; this shared 2-core machine ran at load average 17-20, so every
 * figure is inflated several-fold and only comparisons within a run mean anything):
 * - oldest-first (main before issue 16): a backlog of 10,000 due rows of application A gave A
 *   all 256 rows of every claim for as long as the backlog lasted; B's one due row waited behind
 *   it (B got 0 of 60 messages in 60 s beside 1,000 hanging endpoints, issue 16). Its select
 *   alone took 0.7-1.1 ms whatever the backlog;
 * - one window function over every due row (`row_number() OVER (PARTITION BY endpoint_id)`):
 *   fair, but reads every due row per claim: 30-46 ms for 10,000 due rows, 300-420 ms for
 *   100,000 (select alone), growing with the backlog;
 * - skip-scan + per-endpoint take (this): one index probe per endpoint owed something plus the
 *   rows taken. Whole claim (select, lease, join) for one endpoint with 100,000 due: 22 ms
 *   against 20 ms for main's claim in the same run (the drain's case: no regression beyond
 *   noise); 1,000 endpoints × 10 due: 67 ms against 18 ms, of which the skip-scan is 10-13 ms
 *   and the 256 one-endpoint reads 19 ms. The cost grows with the endpoints owed work, never
 *   with the history or the depth of one endpoint's backlog; a worker whose window is full of
 *   hanging requests claims a few times a second, not per delivery. Folding the per-endpoint
 *   reads into one statement is the next step if it ever shows in a profile.
 */

/** An endpoint with at least one due delivery, and its application. */
export interface DueEndpoint {
  endpointId: string;
  appId: string;
  /** The endpoint's batch size when it is FIFO (its claim walks keys: src/store/fifo-claim.ts); else null. */
  fifoBatchSize?: number | null;
}

/** What a worker can still take, so a claim never brings what the worker would give back. */
export interface ClaimShares {
  /** Most rows of one application in this claim (default: the claim's limit). */
  perApp?: number;
  /** Most rows of an endpoint not listed in `endpoints` (default: the claim's limit). */
  perEndpoint?: number;
  /** Applications that may take fewer than `perApp` (0 = none this time). */
  apps?: Record<string, number>;
  /** Most rows of these endpoints, in place of `perEndpoint` (0 = none this time). */
  endpoints?: Record<string, number>;
}

/**
 * Where this process's previous claims stopped: the last application served, and per
 * application the last endpoint served. The next claim starts after them. Bounded: past
 * {@link ROTATION_LIMIT} applications it starts over (a fresh start is still fair, only less even).
 */
export class ClaimRotation {
  appId: string | undefined;
  readonly #endpoints = new Map<string, string>();

  endpointAfter(appId: string): string | undefined {
    return this.#endpoints.get(appId);
  }

  /** Remembers where `plan` stopped. */
  advance(plan: EndpointTake[]): void {
    let lastApp: EndpointTake | undefined;
    // The plan lists each application's endpoints in turn order: the last one listed wins.
    for (const t of plan) {
      if (!lastApp || t.appTurn > lastApp.appTurn) lastApp = t;
      this.#endpoints.set(t.appId, t.endpointId);
    }
    if (this.#endpoints.size > ROTATION_LIMIT) this.#endpoints.clear();
    if (lastApp) this.appId = lastApp.appId;
  }
}

const ROTATION_LIMIT = 10_000;

/** Rotates a sorted list so it starts after `after` (wrapping round). */
function rotate<T>(items: T[], key: (item: T) => string, after: string | undefined): T[] {
  if (after === undefined) return items;
  const at = items.findIndex((item) => key(item) > after);
  return at <= 0 ? items : [...items.slice(at), ...items.slice(0, at)];
}

/**
 * Splits `total` over contenders whose caps are `caps`, max-min fairly: each gets an equal
 * share, and what a capped one cannot use goes to the others. With more contenders than
 * `total`, the first `total` (in the order given) get one each.
 */
export function waterFill(total: number, caps: number[]): number[] {
  const shares = caps.map(() => 0);
  let left = total;
  let open = caps.map((_, i) => i).filter((i) => (caps[i] as number) > 0);
  while (left > 0 && open.length > 0) {
    const each = Math.floor(left / open.length);
    if (each === 0) {
      for (const i of open.slice(0, left)) shares[i] = (shares[i] as number) + 1;
      break;
    }
    for (const i of open) {
      const give = Math.min(each, (caps[i] as number) - (shares[i] as number));
      shares[i] = (shares[i] as number) + give;
      left -= give;
    }
    open = open.filter((i) => (shares[i] as number) < (caps[i] as number));
  }
  return shares;
}

/** One endpoint's part of a claim: take up to `take` of its earliest due rows. */
export interface EndpointTake {
  endpointId: string;
  appId: string;
  take: number;
  /** Position of the endpoint in its application's turn, and of the application in the claim. */
  endpointTurn: number;
  appTurn: number;
}

/**
 * Plans a claim of at most `limit` rows over `due` (sorted by endpoint id, as the skip-scan
 * returns them). Rows are later ordered by {@link fairOrder}, so that the worker, which starts
 * requests in the order a claim hands them over, starts one of every application's first.
 */
export function planClaim(
  due: DueEndpoint[],
  limit: number,
  shares: ClaimShares = {},
  rotation?: ClaimRotation,
): EndpointTake[] {
  const byApp = new Map<string, DueEndpoint[]>();
  for (const endpoint of due) {
    const list = byApp.get(endpoint.appId);
    if (list) list.push(endpoint);
    else byApp.set(endpoint.appId, [endpoint]);
  }
  const apps = rotate([...byApp.keys()].sort(), (a) => a, rotation?.appId);
  const endpointCap = (id: string) => Math.min(shares.endpoints?.[id] ?? shares.perEndpoint ?? limit, limit);
  const appCaps = apps.map((app) => {
    const own = Math.min(shares.apps?.[app] ?? limit, shares.perApp ?? limit);
    let sum = 0;
    for (const endpoint of byApp.get(app) as DueEndpoint[]) sum += endpointCap(endpoint.endpointId);
    return Math.min(own, sum);
  });
  const appShares = waterFill(limit, appCaps);
  const plan: EndpointTake[] = [];
  apps.forEach((app, appTurn) => {
    const share = appShares[appTurn] as number;
    if (share === 0) return;
    const endpoints = rotate(
      byApp.get(app) as DueEndpoint[],
      (e) => e.endpointId,
      rotation?.endpointAfter(app),
    );
    const takes = waterFill(
      share,
      endpoints.map((e) => endpointCap(e.endpointId)),
    );
    endpoints.forEach((e, endpointTurn) => {
      const take = takes[endpointTurn] as number;
      if (take > 0) plan.push({ endpointId: e.endpointId, appId: app, take, endpointTurn, appTurn });
    });
  });
  return plan;
}

/**
 * Orders claimed rows round-robin: every application's first row, then every application's
 * second, where an application's rows alternate over its endpoints. `rank` is the row's
 * position among its endpoint's rows (0 = earliest due).
 */
export function fairOrder<T>(rows: T[], take: (row: T) => EndpointTake, rank: (row: T) => number): T[] {
  const keyed = rows.map((row) => {
    const t = take(row);
    return { row, app: t.appTurn, inApp: rank(row) * 1_000_000 + t.endpointTurn };
  });
  // Position within the application: rows sorted by (rank, endpoint turn), numbered.
  keyed.sort((a, b) => a.app - b.app || a.inApp - b.inApp);
  const position = new Map<(typeof keyed)[number], number>();
  let app = -1;
  let n = 0;
  for (const k of keyed) {
    if (k.app !== app) {
      app = k.app;
      n = 0;
    }
    position.set(k, n++);
  }
  keyed.sort((a, b) => (position.get(a) as number) - (position.get(b) as number) || a.app - b.app);
  return keyed.map((k) => k.row);
}

/** Rounds a claim may take: a second fills what endpoints with fewer due rows left over. */
const MAX_ROUNDS = 3;

/**
 * One claim, planned in rounds. The first round assumes every endpoint has as many due rows
 * as its share; endpoints that had fewer leave the rest of their share over, and the next
 * round gives it to those that filled theirs (work-conserving: a lone application's backlog
 * still fills the claim beside another's single due row). Each backend runs the rounds with
 * its own statements: `for (let p = c.plan(); p; p = c.plan()) c.took(p, fetch(p))`.
 */
export class FairClaim {
  #due: DueEndpoint[];
  #left: number;
  #rounds = 0;
  readonly #appTaken = new Map<string, number>();
  readonly #endpointTaken = new Map<string, number>();

  constructor(
    due: DueEndpoint[],
    limit: number,
    private readonly shares: ClaimShares,
    private readonly rotation: ClaimRotation,
  ) {
    this.#due = due;
    this.#left = limit;
  }

  /** The next round's plan, or null when the claim is complete. */
  plan(): EndpointTake[] | null {
    if (this.#left <= 0 || this.#due.length === 0 || this.#rounds >= MAX_ROUNDS) return null;
    this.#rounds++;
    const { shares } = this;
    const apps: Record<string, number> = {};
    const endpoints: Record<string, number> = {};
    for (const { appId, endpointId } of this.#due) {
      const appCap = Math.min(shares.apps?.[appId] ?? Infinity, shares.perApp ?? Infinity);
      apps[appId] = Math.max(0, appCap - (this.#appTaken.get(appId) ?? 0));
      const endpointCap = shares.endpoints?.[endpointId] ?? shares.perEndpoint ?? Infinity;
      endpoints[endpointId] = Math.max(0, endpointCap - (this.#endpointTaken.get(endpointId) ?? 0));
    }
    const plan = planClaim(this.#due, this.#left, { apps, endpoints }, this.rotation);
    if (plan.length === 0) return null;
    if (this.#rounds === 1) this.rotation.advance(plan);
    return plan;
  }

  /** Records what a round got per endpoint; endpoints that came up short have no more due. */
  took(plan: EndpointTake[], got: Map<string, number>): void {
    const short = new Set<string>();
    for (const t of plan) {
      const n = got.get(t.endpointId) ?? 0;
      this.#left -= n;
      this.#appTaken.set(t.appId, (this.#appTaken.get(t.appId) ?? 0) + n);
      this.#endpointTaken.set(t.endpointId, (this.#endpointTaken.get(t.endpointId) ?? 0) + n);
      if (n < t.take) short.add(t.endpointId);
    }
    // Nobody came up short: every share was filled and caps bind; another round gives nothing.
    if (short.size === 0) this.#left = 0;
    else this.#due = this.#due.filter((e) => !short.has(e.endpointId));
  }
}
