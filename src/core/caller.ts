/**
 * Who is calling: an admin sees everything; a portal token sees one application. Set on each
 * API request by the auth hook (`domains/auth/authenticate.ts` resolves it); read there and by
 * what every route shares in `http/` (the rate limit, idempotency scopes), so it lives down here
 * where both layers may import it.
 */
export type AuthContext = { kind: 'admin' } | { kind: 'portal'; appId: string; tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}
