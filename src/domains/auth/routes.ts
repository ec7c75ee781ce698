import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { HttpError } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { findOrCreateApplication, type ImplicitApplicationIn } from '../application/access.js';
import { AppIdParam, ERROR_RESPONSES, Nullable } from '../common/schemas.js';
import { requireAdmin } from './authenticate.js';
import { deleteToken, insertPortalToken } from './repo.js';
import { generateToken, hashToken } from './tokens.js';

const tags = ['Authentication'];

const AppPortalAccessIn = Type.Object(
  {
    application: Type.Optional(Nullable(Type.Ref('ApplicationIn'))),
    expiry: Type.Optional(
      Nullable(
        Type.Integer({ minimum: 60, maximum: 7 * 86_400 * 52, description: 'Token lifetime in seconds.' }),
      ),
    ),
    readOnly: Type.Optional(Nullable(Type.Boolean({ deprecated: true }))),
    capabilities: Type.Optional(Nullable(Type.Array(Type.String(), { uniqueItems: true }))),
    featureFlags: Type.Optional(Type.Array(Type.String(), { uniqueItems: true })),
    sessionId: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  },
  { $id: 'AppPortalAccessIn' },
);

const AppPortalAccessOut = Type.Object(
  { url: Type.String({ format: 'uri' }), token: Type.String() },
  { $id: 'AppPortalAccessOut' },
);

/** Consumer-portal access: short-lived tokens scoped to one application, revocable by logout. */
export async function authRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(AppPortalAccessIn);
  app.addSchema(AppPortalAccessOut);

  app.post(
    '/api/v1/auth/app-portal-access/:app_id',
    {
      schema: {
        operationId: 'v1.authentication.app-portal-access',
        summary: 'Get Consumer App Portal Access',
        description:
          'Returns a token scoped to this one application, and a link to the consumer portal that uses it.',
        tags,
        params: Type.Object({ app_id: AppIdParam }),
        body: Type.Ref('AppPortalAccessIn'),
        response: { 200: Type.Ref('AppPortalAccessOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      requireAdmin(request);
      const body = request.body as { application?: ImplicitApplicationIn | null; expiry?: number | null };
      const application = await findOrCreateApplication(
        ctx,
        request,
        request.params.app_id,
        body.application,
      );
      const token = generateToken('portal');
      const now = ctx.now();
      await insertPortalToken(
        ctx.store.db,
        {
          tokenHash: hashToken(token),
          appId: application.id,
          expiresAt: now + (body.expiry ?? ctx.config.portalTokenTtlSeconds) * 1000,
        },
        now,
      );
      const base = ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}/`;
      // The token rides in the fragment, which browsers never send to a server or put in its logs.
      const url = new URL(
        `portal#token=${encodeURIComponent(token)}&app=${encodeURIComponent(application.id)}`,
        base,
      ).toString();
      return { url, token };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        operationId: 'v1.authentication.logout',
        summary: 'Logout',
        description: 'Revokes the portal token that makes this call. Admin tokens cannot be logged out.',
        tags,
        response: { 204: Type.Null({ description: 'no content' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      if (request.auth.kind !== 'portal')
        throw new HttpError('forbidden', 'Only portal tokens can be logged out.');
      await deleteToken(ctx.store.db, request.auth.tokenId);
      ctx.tokenCache.invalidate();
      return reply.code(204).send(null);
    },
  );
}
