import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldContext } from '../context.js';
import type { AuthContext } from '../core/caller.js';
import { conflict, invalidField } from '../errors.js';
import type { HeraldApp } from './types.js';

/**
 * `Idempotency-Key` on POST, as Svix and Stripe do it.
 *
 * - The first answer (status, content-type, body) for a key is kept in the `idempotency` table for
 *   `idempotencyTtlSeconds` and replayed to every retry, by whichever API process the retry reaches.
 * - A key is scoped by caller (admin, or the portal token's application) and by method + path; the
 *   stored key is a hash of the three, so neither tenants nor routes ever share a record.
 * - A request claims its key by inserting a `pending` row (primary key), so of two concurrent
 *   duplicates only one runs; the other waits for the answer and replays it, or gets a 409.
 * - 2xx and 4xx answers are kept; a 5xx releases the key so the client's retry runs again.
 *   Requests refused before their handler ran (401, 422 validation, 413…) claim nothing, as at
 *   Stripe: the same request sent again gets the same refusal anyway.
 * - The key reused with another body or query string gets the first answer again, as Svix does
 *   (its `test_idempotency`): the key names the operation, whatever was sent the second time.
 * - Stored bodies are encrypted with the main key: some answers carry credentials (a portal
 *   token), and the database must not hold them in the clear.
 */

/** How long a duplicate waits for the first request to finish before answering 409. */
export const IDEMPOTENCY_WAIT_MS = 5_000;
const POLL_MS = 50;
/** A `pending` row older than this was left by a process that died mid-request: it may be taken over. */
const PENDING_STALE_MS = 60_000;
/** Expired rows are removed at most this often per process (they are ignored until then). */
const SWEEP_EVERY_MS = 60_000;
const KEY_PATTERN = /^[\x20-\x7e]{1,256}$/;
const HEADER = 'idempotency-key';

interface CompleteRecord {
  contentType: string | null;
  /** The response body, encrypted with the main key; null for an empty body. */
  payload: string | null;
}

/** What a request that claimed a key must write when its answer is sent. */
interface Claim {
  key: string;
  createdAt: number;
}

/**
 * The stored key for an `Idempotency-Key` sent by `caller` to `method path`: a SHA-256, so the
 * table never holds the client's key and callers or routes cannot collide.
 */
export function idempotencyRecordKey(caller: string, method: string, path: string, key: string): string {
  return createHash('sha256').update(`${caller}\n${method} ${path}\n${key}`).digest('hex');
}

/** The caller a key belongs to: all admin tokens share one scope, a portal token its application's. */
function callerScope(caller: AuthContext): string {
  return caller.kind === 'admin' ? 'admin' : `portal:${caller.appId}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The `idempotency` table's reads and writes. Every write after the claim names the claim's
 * `createdAt` too, so a request never touches a record that replaced its own.
 */
class IdempotencyRecords {
  #lastSweep = 0;

  constructor(private readonly ctx: HeraldContext) {}

  private get db() {
    return this.ctx.store.db;
  }

  /** Claims `key` with a `pending` row; null when another request holds it (or held it). */
  async claim(key: string): Promise<Claim | null> {
    const now = this.ctx.now();
    const inserted = await this.db
      .insertInto('idempotency')
      .values({
        key,
        state: 'pending',
        status_code: null,
        body: '{}',
        created_at: now,
        expires_at: now + this.ctx.config.idempotencyTtlSeconds * 1000,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    return inserted ? { key, createdAt: now } : null;
  }

  find(key: string) {
    return this.db.selectFrom('idempotency').selectAll().where('key', '=', key).executeTakeFirst();
  }

  /** Removes a record, whatever its state (expired, stale, or unreadable). */
  async forget(key: string, createdAt: number): Promise<void> {
    await this.db
      .deleteFrom('idempotency')
      .where('key', '=', key)
      .where('created_at', '=', createdAt)
      .execute();
  }

  /** Stores the answer of the request that holds `claim`. */
  async complete(claim: Claim, status: number, record: CompleteRecord): Promise<void> {
    await this.db
      .updateTable('idempotency')
      .set({ state: 'complete', status_code: status, body: JSON.stringify(record) })
      .where('key', '=', claim.key)
      .where('created_at', '=', claim.createdAt)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Gives the key back unanswered, so the client's retry runs again. */
  async release(claim: Claim): Promise<void> {
    await this.db
      .deleteFrom('idempotency')
      .where('key', '=', claim.key)
      .where('created_at', '=', claim.createdAt)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Deletes expired records, at most once every `SWEEP_EVERY_MS`, without waiting for it. */
  sweepExpired(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    this.db
      .deleteFrom('idempotency')
      .where('expires_at', '<=', now)
      .execute()
      .catch((err) => {
        if (!this.ctx.store.health.report(err))
          this.ctx.logger.warn({ err }, 'could not delete expired idempotency records');
      });
  }
}

/**
 * The stored key of an idempotent POST, or undefined when the request is not one (another
 * method, no header, no caller). A malformed header is a 422.
 */
function recordKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers[HEADER];
  if (request.method !== 'POST' || header === undefined || !request.auth) return undefined;
  const clientKey = Array.isArray(header) ? header.join(', ') : header;
  if (!KEY_PATTERN.test(clientKey) || clientKey.trim() === '')
    throw invalidField(
      ['header', HEADER],
      'Idempotency-Key must be 1 to 256 printable ASCII characters.',
      'value_error.str.regex',
    );
  return idempotencyRecordKey(callerScope(request.auth), 'POST', request.url.split('?')[0] ?? '', clientKey);
}

/** The stored body in plaintext; null when it cannot be read (its main key was retired since). */
function storedBody(ctx: HeraldContext, record: CompleteRecord): string | undefined | null {
  if (record.payload === null) return undefined;
  try {
    return ctx.keyring.decrypt(record.payload);
  } catch (err) {
    ctx.logger.warn({ err }, 'a stored idempotent response cannot be decrypted; running the request again');
    return null;
  }
}

function replay(
  ctx: HeraldContext,
  reply: FastifyReply,
  status: number,
  record: CompleteRecord,
  body: string | undefined,
): void {
  ctx.metrics.idempotentReplays.inc();
  reply.code(status).header('idempotent-replayed', 'true');
  if (record.contentType) reply.header('content-type', record.contentType);
  reply.send(body);
}

/**
 * Claims `key` for this request, or replays (sends) the answer stored under it. A record that expired,
 * was left pending by a dead process, or can no longer be decrypted is removed and the key
 * claimed again; one still pending is waited for up to `IDEMPOTENCY_WAIT_MS`, then a 409.
 */
async function claimOrReplay(
  ctx: HeraldContext,
  records: IdempotencyRecords,
  key: string,
  reply: FastifyReply,
): Promise<Claim | 'replayed'> {
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
  for (;;) {
    const claim = await records.claim(key);
    if (claim) return claim;
    const row = await records.find(key);
    if (!row) continue; // released (a 5xx) or expired between the insert and the read: claim again
    const now = ctx.now();
    const stalePending = row.state === 'pending' && row.created_at <= now - PENDING_STALE_MS;
    if (row.expires_at <= now || stalePending) {
      await records.forget(key, row.created_at);
      continue;
    }
    const record = JSON.parse(row.body ?? '{}') as CompleteRecord;
    if (row.state === 'complete' && row.status_code !== null) {
      const body = storedBody(ctx, record);
      if (body !== null) {
        replay(ctx, reply, row.status_code, record, body);
        return 'replayed';
      }
      await records.forget(key, row.created_at);
      continue;
    }
    if (Date.now() >= deadline) throw conflict('A request with this Idempotency-Key is still in progress.');
    await sleep(POLL_MS);
  }
}

/**
 * Stores the answer under the request's claim: 2xx and 4xx with a text body (or none), body
 * encrypted; anything else (a 5xx, a stream) releases the key instead.
 */
async function storeAnswer(
  ctx: HeraldContext,
  records: IdempotencyRecords,
  claim: Claim,
  reply: FastifyReply,
  payload: unknown,
): Promise<void> {
  const status = reply.statusCode;
  const body =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
  const storable = status < 500 && (body !== null || payload === null || payload === undefined);
  if (!storable) return records.release(claim);
  const contentType = reply.getHeader('content-type');
  await records.complete(claim, status, {
    contentType: typeof contentType === 'string' ? contentType : null,
    payload: body === null || body === '' ? null : ctx.keyring.encrypt(body),
  });
}

/** Installs the hooks. Called once, after authentication is installed and before any route. */
export function installIdempotency(app: HeraldApp, ctx: HeraldContext): void {
  const records = new IdempotencyRecords(ctx);
  const claims = new WeakMap<FastifyRequest, Claim>();

  app.addHook('preHandler', async (request, reply) => {
    const key = recordKeyOf(request);
    if (key === undefined) return;
    records.sweepExpired(ctx.now());
    const claimed = await claimOrReplay(ctx, records, key, reply);
    if (claimed === 'replayed') return reply;
    claims.set(request, claimed);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    try {
      await storeAnswer(ctx, records, claim, reply, payload);
    } catch (err) {
      // The answer still goes out; the key stays pending until it goes stale.
      request.log.warn({ err }, 'could not store the idempotent response');
    }
    return payload;
  });

  // Backstop for an answer that left without passing onSend: its key must not stay pending. A client
  // that goes away is not such a case: its handler still runs and stores the answer for the retry.
  app.addHook('onResponse', async (request) => {
    const claim = claims.get(request);
    if (!claim) return;
    claims.delete(request);
    await records
      .release(claim)
      .catch((err) => request.log.warn({ err }, 'could not release an idempotency key'));
  });
}
