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

/** Installs the hooks. Called once, after authentication is installed and before any route. */
export function installIdempotency(app: HeraldApp, ctx: HeraldContext): void {
  const { db } = ctx.store;
  const claims = new WeakMap<FastifyRequest, Claim>();
  let lastSweep = 0;

  const sweepExpired = (now: number) => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    db.deleteFrom('idempotency')
      .where('expires_at', '<=', now)
      .execute()
      .catch((err) => {
        if (!ctx.store.health.report(err))
          ctx.logger.warn({ err }, 'could not delete expired idempotency records');
      });
  };

  const tryClaim = async (key: string): Promise<Claim | null> => {
    const now = ctx.now();
    const inserted = await db
      .insertInto('idempotency')
      .values({
        key,
        state: 'pending',
        status_code: null,
        body: '{}',
        created_at: now,
        expires_at: now + ctx.config.idempotencyTtlSeconds * 1000,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    return inserted ? { key, createdAt: now } : null;
  };

  /** The stored body in plaintext; null when it cannot be read (its main key was retired since). */
  const storedBody = (record: CompleteRecord): string | undefined | null => {
    if (record.payload === null) return undefined;
    try {
      return ctx.keyring.decrypt(record.payload);
    } catch (err) {
      ctx.logger.warn({ err }, 'a stored idempotent response cannot be decrypted; running the request again');
      return null;
    }
  };

  const replay = (reply: FastifyReply, status: number, record: CompleteRecord, body: string | undefined) => {
    ctx.metrics.idempotentReplays.inc();
    reply.code(status).header('idempotent-replayed', 'true');
    if (record.contentType) reply.header('content-type', record.contentType);
    return reply.send(body);
  };

  const forget = async (key: string, createdAt: number) => {
    await db.deleteFrom('idempotency').where('key', '=', key).where('created_at', '=', createdAt).execute();
  };

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers[HEADER];
    if (request.method !== 'POST' || header === undefined || !request.auth) return;
    const clientKey = Array.isArray(header) ? header.join(', ') : header;
    if (!KEY_PATTERN.test(clientKey) || clientKey.trim() === '')
      throw invalidField(
        ['header', HEADER],
        'Idempotency-Key must be 1 to 256 printable ASCII characters.',
        'value_error.str.regex',
      );
    const key = idempotencyRecordKey(
      callerScope(request.auth),
      'POST',
      request.url.split('?')[0] ?? '',
      clientKey,
    );
    sweepExpired(ctx.now());

    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const claim = await tryClaim(key);
      if (claim) {
        claims.set(request, claim);
        return;
      }
      const row = await db.selectFrom('idempotency').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) continue; // released (a 5xx) or expired between the insert and the read: claim again
      const now = ctx.now();
      const stalePending = row.state === 'pending' && row.created_at <= now - PENDING_STALE_MS;
      if (row.expires_at <= now || stalePending) {
        await forget(key, row.created_at);
        continue;
      }
      const record = JSON.parse(row.body ?? '{}') as CompleteRecord;
      if (row.state === 'complete' && row.status_code !== null) {
        const body = storedBody(record);
        if (body !== null) return replay(reply, row.status_code, record, body);
        await forget(key, row.created_at);
        continue;
      }
      if (Date.now() >= deadline) throw conflict('A request with this Idempotency-Key is still in progress.');
      await sleep(POLL_MS);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    const status = reply.statusCode;
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    const storable = status < 500 && (body !== null || payload === null || payload === undefined);
    try {
      if (!storable) {
        await release(claim);
        return payload;
      }
      const contentType = reply.getHeader('content-type');
      const record: CompleteRecord = {
        contentType: typeof contentType === 'string' ? contentType : null,
        payload: body === null || body === '' ? null : ctx.keyring.encrypt(body),
      };
      await db
        .updateTable('idempotency')
        .set({ state: 'complete', status_code: status, body: JSON.stringify(record) })
        .where('key', '=', claim.key)
        .where('created_at', '=', claim.createdAt)
        .where('state', '=', 'pending')
        .execute();
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
    await release(claim).catch((err) => request.log.warn({ err }, 'could not release an idempotency key'));
  });

  async function release(claim: Claim): Promise<void> {
    await db
      .deleteFrom('idempotency')
      .where('key', '=', claim.key)
      .where('created_at', '=', claim.createdAt)
      .where('state', '=', 'pending')
      .execute();
  }
}
