import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { type ApplicationRow, findApplication } from './repo.js';

/**
 * The application a request names, by id or uid. A portal token scoped to another
 * application gets the same 404 as a missing one: no existence oracle across tenants.
 */
export async function resolveApplication(
  ctx: HeraldContext,
  request: FastifyRequest,
  idOrUid: string,
): Promise<ApplicationRow> {
  const row = await findApplication(ctx.store.db, idOrUid);
  if (!row || (request.auth.kind === 'portal' && request.auth.appId !== row.id))
    throw notFound('Application not found.');
  return row;
}
