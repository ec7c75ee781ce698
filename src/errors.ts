/**
 * One registry of the errors Herald answers with. Each has a stable code, an HTTP status
 * and a public message; the body follows Svix's shape (`{code, detail}`, or for 422
 * `{detail: [{loc, msg, type}]}`), so the Svix SDKs raise their usual exceptions.
 */

/** One entry of a Svix-shaped 422 body: `{ detail: [{ loc, msg, type }] }`. */
export interface ValidationIssue {
  loc: string[];
  msg: string;
  type: string;
}

const REGISTRY = {
  bad_request: { status: 400, detail: 'The request is malformed.' },
  limit_reached: { status: 400, detail: 'A limit was reached.' },
  unauthorized: { status: 401, detail: 'Invalid or missing authentication token.' },
  forbidden: { status: 403, detail: 'This token may not do that.' },
  not_found: { status: 404, detail: 'Entity not found.' },
  method_not_allowed: { status: 405, detail: 'Method not allowed.' },
  conflict: { status: 409, detail: 'The entity already exists.' },
  payload_too_large: { status: 413, detail: 'The request body is too large.' },
  unsupported_media_type: { status: 415, detail: 'The request body must be JSON.' },
  rate_limited: { status: 429, detail: 'Too many requests.' },
  internal_error: { status: 500, detail: 'Internal server error.' },
  unavailable: { status: 503, detail: 'The service is unavailable.' },
  store_unavailable: {
    status: 503,
    detail: 'The database is unavailable; nothing was stored. Try again shortly.',
  },
  storage_full: { status: 507, detail: 'The database has no space left; nothing was stored.' },
} as const;

/** Seconds a client is asked to wait (`Retry-After`) while the database is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 2;

export type ErrorCode = keyof typeof REGISTRY;

/** An error the API answers with as-is: its code and detail are public. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode | string;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: string, headers: Record<string, string> = {}) {
    super(detail ?? REGISTRY[code].detail);
    this.status = REGISTRY[code].status;
    this.code = code;
    this.headers = headers;
  }

  body(): { code: string; detail: string } {
    return { code: this.code, detail: this.message };
  }
}

/** A 422 naming each offending field, in Svix's validation error shape. */
export class ValidationError extends Error {
  readonly status = 422;
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.issues = issues;
  }

  body(): { detail: ValidationIssue[] } {
    return { detail: this.issues };
  }
}

export const notFound = (detail?: string) => new HttpError('not_found', detail);
export const conflict = (detail: string) => new HttpError('conflict', detail);

/** One invalid field of a request body, as a 422. */
export function invalidField(loc: string[], msg: string, type = 'value_error'): ValidationError {
  return new ValidationError([{ loc, msg, type }]);
}
