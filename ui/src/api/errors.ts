/**
 * Errors from Herald's API, turned into plain words for the screen. Pure (no DOM), so the
 * wording is tested without a browser.
 */

/** One invalid field from a 422 answer, as Svix reports it. */
export interface FieldIssue {
  /** The field's path inside the request body (`url`, `headers.X-Team`), or the query parameter. */
  field: string;
  message: string;
}

/** A failed API call: the HTTP status, Svix's error code and detail, and per-field issues for 422. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly issues: FieldIssue[];
  readonly requestId: string | null;

  constructor(status: number, body: unknown, requestId: string | null = null) {
    const parsed = parseErrorBody(body);
    super(describeFailure(status, parsed.code, parsed.detail, parsed.issues, requestId));
    this.name = 'ApiError';
    this.status = status;
    this.code = parsed.code;
    this.detail = parsed.detail;
    this.issues = parsed.issues;
    this.requestId = requestId;
  }

  /** True when the server has no such route at all (a feature this Herald does not have yet). */
  get missingRoute(): boolean {
    return this.status === 404 && this.detail.startsWith('No route for');
  }

  /** The message for one form field, if the server named it. */
  issueFor(field: string): string | undefined {
    return this.issues.find((issue) => issue.field === field || issue.field.startsWith(`${field}.`))?.message;
  }
}

function parseErrorBody(body: unknown): { code: string; detail: string; issues: FieldIssue[] } {
  if (!body || typeof body !== 'object')
    return { code: '', detail: typeof body === 'string' ? body : '', issues: [] };
  const record = body as { code?: unknown; detail?: unknown };
  const code = typeof record.code === 'string' ? record.code : '';
  if (Array.isArray(record.detail)) {
    const issues = record.detail.flatMap((entry): FieldIssue[] => {
      if (!entry || typeof entry !== 'object') return [];
      const { loc, msg } = entry as { loc?: unknown; msg?: unknown };
      const path = Array.isArray(loc) ? loc.map(String) : [];
      // The first element says where the field lives (body, query, path); the form only needs the rest.
      const rest = ['body', 'query', 'path', 'querystring', 'params'].includes(path[0] ?? '')
        ? path.slice(1)
        : path;
      const field = rest.join('.') || path.join('.');
      let message = typeof msg === 'string' ? msg : 'is not valid';
      // Herald's messages start with the field's name ("url: must match…"); the form shows it already.
      for (const prefix of [field, rest[rest.length - 1]])
        if (prefix && message.startsWith(`${prefix}: `)) message = message.slice(prefix.length + 2);
      return [{ field, message }];
    });
    return { code: code || 'validation', detail: '', issues };
  }
  return { code, detail: typeof record.detail === 'string' ? record.detail : '', issues: [] };
}

/** What went wrong, in words a person acts on, from an HTTP status and Svix's error body. */
export function describeFailure(
  status: number,
  code: string,
  detail: string,
  issues: FieldIssue[] = [],
  requestId: string | null = null,
): string {
  if (status === 0) return 'Herald could not be reached. Check your connection and that Herald is running.';
  if (status === 401)
    return 'Your token was not accepted: it may have expired or been revoked. Sign in again.';
  if (status === 403) return detail || 'This token is not allowed to do that.';
  if (status === 404) {
    if (detail.startsWith('No route for')) return 'This Herald server does not offer this feature yet.';
    return detail ? `Not found: ${lowerFirst(detail)}` : 'Not found. It may have been deleted.';
  }
  if (status === 409) return detail || 'That conflicts with something that already exists.';
  if (status === 413) return 'That is too large for Herald to accept.';
  if (status === 422) {
    if (issues.length === 0) return detail || 'Some fields are not valid.';
    return `Please fix: ${issues.map((issue) => `${issue.field || 'request'} ${issue.message}`).join('; ')}.`;
  }
  if (status === 429) return 'Too many requests right now. Wait a moment and try again.';
  if (status >= 500) {
    const ref = requestId ? ` (request ${requestId})` : '';
    return `Herald ran into an error${ref}. Try again; if it keeps happening, check the server logs.`;
  }
  return detail || `The request failed (${status}${code ? ` ${code}` : ''}).`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
