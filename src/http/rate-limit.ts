import { createHash } from 'node:crypto';
import type { HeraldContext } from '../context.js';
import { bearerToken } from '../core/bearer-token.js';
import type { AuthContext } from '../core/caller.js';
import { HttpError } from '../errors.js';
import type { HeraldApp } from './types.js';

/** Buckets kept before idle (full) ones are dropped, so memory stays bounded whatever the token count. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per API token: `perSecond` tokens refill each second, up to a burst of one
 * second's worth. `take` answers 0 when the request may go, or the seconds until it may.
 */
class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  take(key: string): number {
    const now = this.now();
    const capacity = this.perSecond;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#dropIdle(now);
      bucket = { tokens: capacity, updatedAt: now };
      this.#buckets.set(key, bucket);
    }
    // A clock moved backwards refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedMs / 1000) * this.perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.perSecond;
  }

  #dropIdle(now: number): void {
    const fullAfterMs = 1000;
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.updatedAt >= fullAfterMs) this.#buckets.delete(key);
    }
    // Every bucket busy: forget the oldest rather than grow without bound.
    if (this.#buckets.size >= MAX_BUCKETS) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}

/** No caller (a route that answers without a token) and admins, unless they are limited too, skip the limit. */
function exempt(caller: AuthContext | undefined, limitAdmins: boolean): boolean {
  return !caller || (caller.kind === 'admin' && !limitAdmins);
}

/**
 * The per-token API rate limit (`HERALD_API_RATE_LIMIT` requests per second, 0 = off): beyond
 * it a 429 `rate_limited` with `Retry-After` in seconds. Admin tokens are exempt unless
 * `HERALD_API_RATE_LIMIT_ADMIN` is set.
 *
 * The buckets live in each API process's memory: with N API processes behind a load balancer a
 * token may make up to N times the limit. That bounds abuse without a database write per request;
 * an exact cluster-wide limit belongs in the load balancer.
 *
 * Installed after authentication (it needs the caller), so a request without a valid token is
 * refused before it costs a bucket.
 */
export function installRateLimit(app: HeraldApp, ctx: HeraldContext): void {
  const perSecond = ctx.config.apiRateLimitPerSecond;
  if (perSecond <= 0) return;
  const buckets = new TokenBuckets(perSecond, () => ctx.now());

  app.addHook('onRequest', async (request) => {
    if (exempt(request.auth, ctx.config.apiRateLimitAdmin)) return;
    // Keyed by a hash of the token itself: every token, admin or portal, has its own bucket.
    const key = createHash('sha256').update(bearerToken(request)).digest('base64url');
    const waitSeconds = buckets.take(key);
    if (waitSeconds > 0) {
      const retryAfter = Math.max(1, Math.ceil(waitSeconds));
      throw new HttpError(
        'rate_limited',
        `Too many requests: this token may make ${perSecond} requests per second. Retry in ${retryAfter} s.`,
        { 'retry-after': String(retryAfter) },
      );
    }
  });
}
