/**
 * Express middleware that verifies Standard Webhooks requests (`herald/verify/express`).
 * Imports only Express's types, so the core verifier never loads Express.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createWebhookGuard, DUPLICATE_BODY, type WebhookMiddlewareOptions } from './middleware-core.js';
import { BodyTooLargeError, DEFAULT_MAX_BODY_BYTES, readRawBody } from './raw-body.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified webhook payload, set by `verifyWebhook`. */
      webhook?: unknown;
    }
  }
}

/** Options of the Express middleware. */
export interface ExpressWebhookOptions extends WebhookMiddlewareOptions {
  /** Bound on the body when the middleware reads it itself. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * Verifies the request and puts the parsed payload on `req.webhook`, or answers 400 (missing or
 * malformed headers, body not JSON) or 401 (bad signature, stale timestamp) with
 * `{ error, message }`. Mount it with `express.raw({ type: '*\/*' })` in front, or with no body
 * parser at all (it then reads the body itself); not behind `express.json()`, whose re-serialised
 * body could not match the signature (that mistake answers 500 with an explanation).
 *
 * Throws at once if the secret is unusable.
 */
export function verifyWebhook(
  secretOrPublicKey: string | readonly string[],
  options: ExpressWebhookOptions = {},
): RequestHandler {
  const guard = createWebhookGuard(secretOrPublicKey, options);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const handle = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let rawBody: string | Buffer;
    if (Buffer.isBuffer(req.body) || typeof req.body === 'string') {
      rawBody = req.body;
    } else if (req.body === undefined) {
      try {
        rawBody = await readRawBody(req, maxBodyBytes);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) throw err;
        res.status(413).json({ error: 'payload_too_large', message: err.message });
        return;
      }
    } else {
      throw new Error(
        'verifyWebhook needs the raw body, but a body parser already turned it into an object: mount ' +
          "express.raw({ type: '*/*' }) (or no parser) on the webhook route instead of express.json()",
      );
    }

    const outcome = await guard.check(rawBody, req.headers);
    if (outcome.kind === 'rejected') {
      res.status(outcome.status).json(outcome.body);
      return;
    }
    if (outcome.kind === 'duplicate') {
      res.status(200).json(DUPLICATE_BODY);
      return;
    }
    const { webhook } = outcome;
    req.webhook = webhook.payload;
    // Deduplication is best-effort: a failing store must not turn a handled delivery into an error.
    res.once('finish', () => void guard.delivered(webhook, res.statusCode).catch(() => {}));
    next();
  };

  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}

export type { WebhookMiddlewareOptions } from './middleware-core.js';
export { MemoryReplayStore, type ReplayStore } from './replay.js';
