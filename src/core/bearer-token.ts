import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

/**
 * Reads the bearer token; any malformed header is a plain 401. Shared by authentication and
 * the per-token rate limit, which keys its buckets on the token.
 */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw new HttpError('unauthorized');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1] || match[1].length > 512) throw new HttpError('unauthorized');
  return match[1];
}
