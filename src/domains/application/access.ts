import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { ExpiringCache } from '../../core/expiring-cache.js';
import { HttpError, invalidField, notFound } from '../../errors.js';
import { type ApplicationRow, findApplication, insertApplication } from './repo.js';

declare module '../../context.js' {
  interface HeraldContext {
    /** Applications found by id or uid for the publish path (see `newApplicationCache`). */
    readonly applicationCache: ExpiringCache<ApplicationRow | undefined>;
  }
}

/**
 * The per-process cache of applications that publishing resolves: a publish costs no query to
 * find its application. Only applications found are cached (one created by another process is
 * found at once); a change or delete in this process forgets them at once (`forgetApplications`),
 * one in another process is seen within the TTL. Reads and writes of the application itself
 * never use it: they read the row as it is now.
 */
export function newApplicationCache(): ExpiringCache<ApplicationRow | undefined> {
  return new ExpiringCache({ maxEntries: 10_000, cacheMisses: false });
}

/** After a write to applications: forgets them, and the tokens a deleted application took with it. */
export function forgetApplications(ctx: HeraldContext): void {
  ctx.applicationCache.invalidate();
  ctx.tokenCache.invalidate();
}

/**
 * The application a request names, by id or uid. A portal token scoped to another
 * application gets the same 404 as a missing one: no existence oracle across tenants.
 */
export async function resolveApplication(
  ctx: HeraldContext,
  request: FastifyRequest,
  idOrUid: string,
): Promise<ApplicationRow> {
  return visibleTo(request, await findApplication(ctx.store.db, idOrUid));
}

function visibleTo(request: FastifyRequest, row: ApplicationRow | undefined): ApplicationRow {
  if (!row || (request.auth.kind === 'portal' && request.auth.appId !== row.id))
    throw notFound('Application not found.');
  return row;
}

/** The `application` a request body may carry to create the application its path names. */
export interface ImplicitApplicationIn {
  name: string;
  uid?: string | null;
  throttleRate?: number | null;
  metadata?: Record<string, string>;
}

/**
 * The application the path names, created from the body's `application` when it does not exist
 * yet (message create and app-portal-access, as in Svix). An existing application ignores the
 * body. Creating one needs its `uid` in the body, equal to the path's (Svix's 422s,
 * `application_uid_mismatch`); without a body a missing application is a 404. Two requests
 * racing to create the same application both get the one that won.
 */
export async function findOrCreateApplication(
  ctx: HeraldContext,
  request: FastifyRequest,
  idOrUid: string,
  application: ImplicitApplicationIn | null | undefined,
): Promise<ApplicationRow> {
  const existing = await ctx.applicationCache.get(idOrUid, () => findApplication(ctx.store.db, idOrUid));
  if (existing || !application || request.auth.kind !== 'admin') return visibleTo(request, existing);
  if (!application.uid)
    throw invalidField(
      ['body', 'application', 'uid'],
      'uid: is required to create the application the path names',
      'value_error.missing',
    );
  if (application.uid !== idOrUid)
    throw invalidField(
      ['body', 'application', 'uid'],
      'uid: Application UID in the path and body must match',
      'application_uid_mismatch',
    );
  try {
    return await insertApplication(ctx.store.db, application, ctx.now());
  } catch (err) {
    // insertApplication answers a uid taken meanwhile with a 409.
    if (!(err instanceof HttpError && err.status === 409)) throw err;
    return resolveApplication(ctx, request, idOrUid);
  }
}
