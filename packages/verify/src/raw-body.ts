/**
 * Reads a Node request body as bytes, for middlewares that run before any body parser. The
 * signature covers the exact bytes sent, so the body must be kept raw until it is verified.
 */
import type { IncomingMessage } from 'node:http';

/** Default bound on a webhook body read by the middlewares: webhooks are small by design. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The body exceeded the configured bound; answer 413. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
  }
}

/**
 * Collects the body of `request` up to `limit` bytes. A body already consumed by someone else
 * reads as empty, which then fails verification instead of hanging.
 */
export async function readRawBody(request: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  if (request.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
