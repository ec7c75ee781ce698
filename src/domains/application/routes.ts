import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import { requireAdmin } from '../auth/authenticate.js';
import { pageRequest } from '../common/pagination.js';
import { AppIdParam, ERROR_RESPONSES, idIteratorPattern, Ordering, pageQuery } from '../common/schemas.js';
import { forgetApplications, resolveApplication } from './access.js';
import {
  applicationOut,
  deleteApplication,
  findApplication,
  insertApplication,
  listApplications,
  updateApplication,
} from './repo.js';
import { ApplicationIn, ApplicationPatch } from './schemas.js';

const tags = ['Application'];
const AppOut = Type.Ref('ApplicationOut');
const params = Type.Object({ app_id: AppIdParam });

export async function applicationRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { db } = ctx.store;

  app.get(
    '/api/v1/app',
    {
      schema: {
        operationId: 'v1.application.list',
        summary: 'List Applications',
        tags,
        querystring: Type.Object({
          ...pageQuery(idIteratorPattern('app')),
          order: Type.Optional(Ordering),
          exclude_apps_with_no_endpoints: Type.Optional(Type.Boolean({ default: false })),
          exclude_apps_with_disabled_endpoints: Type.Optional(Type.Boolean({ default: false })),
          exclude_apps_with_svix_play_endpoints: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: { 200: Type.Ref('ListResponse_ApplicationOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      // Listing applications is the operator's view (Svix answers a portal token 403).
      requireAdmin(request);
      const q = request.query;
      const page = await listApplications(db, pageRequest(q, q.order === 'descending'), {
        excludeWithoutEndpoints: q.exclude_apps_with_no_endpoints,
        excludeWithOnlyDisabledEndpoints: q.exclude_apps_with_disabled_endpoints,
      });
      return { ...page, data: page.data.map(applicationOut) };
    },
  );

  app.post(
    '/api/v1/app',
    {
      schema: {
        operationId: 'v1.application.create',
        summary: 'Create Application',
        tags,
        querystring: Type.Object({ get_if_exists: Type.Optional(Type.Boolean({ default: false })) }),
        body: ApplicationIn,
        response: { 200: AppOut, 201: AppOut, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const body = request.body;
      if (request.query.get_if_exists && body.uid) {
        const existing = await findApplication(db, body.uid);
        if (existing) return reply.code(200).send(applicationOut(existing));
      }
      const row = await insertApplication(db, body, ctx.now());
      return reply.code(201).send(applicationOut(row));
    },
  );

  app.get(
    '/api/v1/app/:app_id',
    {
      schema: {
        operationId: 'v1.application.get',
        summary: 'Get Application',
        tags,
        params,
        response: { 200: AppOut, ...ERROR_RESPONSES },
      },
    },
    async (request) => applicationOut(await resolveApplication(ctx, request, request.params.app_id)),
  );

  app.put(
    '/api/v1/app/:app_id',
    {
      schema: {
        operationId: 'v1.application.upsert',
        summary: 'Update Application',
        description:
          'Updates the application, or creates it (with the path as its uid) when it does not exist.',
        tags,
        params,
        body: ApplicationIn,
        response: { 200: AppOut, 201: AppOut, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const existing = await findApplication(db, request.params.app_id);
      if (existing) {
        // Another tenant's application is a 404 before a portal token hears it may not write.
        const row = await resolveApplication(ctx, request, request.params.app_id);
        requireAdmin(request);
        // PUT replaces: a body without `uid` (or `metadata`, or a rate) clears it, as in Svix.
        const body = request.body;
        const updated = await updateApplication(
          db,
          row,
          { uid: null, metadata: {}, ...body, throttleRate: body.throttleRate ?? body.rateLimit ?? null },
          ctx.now(),
        );
        forgetApplications(ctx);
        return reply.code(200).send(applicationOut(updated));
      }
      requireAdmin(request);
      const uid = request.body.uid ?? request.params.app_id;
      const row = await insertApplication(db, { ...request.body, uid }, ctx.now());
      return reply.code(201).send(applicationOut(row));
    },
  );

  app.patch(
    '/api/v1/app/:app_id',
    {
      schema: {
        operationId: 'v1.application.patch',
        summary: 'Patch Application',
        tags,
        params,
        body: ApplicationPatch,
        response: { 200: AppOut, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const row = await resolveApplication(ctx, request, request.params.app_id);
      requireAdmin(request);
      const updated = await updateApplication(db, row, request.body, ctx.now());
      forgetApplications(ctx);
      return applicationOut(updated);
    },
  );

  app.delete(
    '/api/v1/app/:app_id',
    {
      schema: {
        operationId: 'v1.application.delete',
        summary: 'Delete Application',
        tags,
        params,
        response: { 204: Type.Null({ description: 'no content' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const row = await resolveApplication(ctx, request, request.params.app_id);
      requireAdmin(request);
      await deleteApplication(db, row.id);
      forgetApplications(ctx);
      return reply.code(204).send(null);
    },
  );
}
