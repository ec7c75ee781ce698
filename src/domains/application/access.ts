import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { HttpError, invalidField, notFound } from '../../errors.js';
import { type ApplicationRow, findApplication, insertApplication } from './repo.js';

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
  const existing = await findApplication(ctx.store.db, idOrUid);
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
