/**
 * Outcome classification: what an attempt's error or status means, in the vocabulary stored
 * on attempts (errorClass and a one-line message), and when a receiver asked to be retried.
 */
import { STATUS_CODES } from 'node:http';
import { BlockedByPolicyError } from './guarded-connector.js';

/** Why an attempt failed, in the vocabulary stored on attempts and shown in the UI. */
export type ErrorClass =
  | 'dns'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'connection_reset'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'blocked_by_policy'
  | 'invalid_response';

/** Statuses on which a receiver's `Retry-After` is honoured (throttling and overload). */
export const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

const HTTP_DATE = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i;
const ASCTIME = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * Parses a `Retry-After` value, either delta-seconds (`120`) or an HTTP-date in any of
 * the three forms RFC 9110 requires recipients to accept, into milliseconds from `now`.
 * A date in the past gives 0. Anything else gives null, so a malformed header falls back
 * to the normal retry schedule instead of, say, retrying immediately.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!HTTP_DATE.test(trimmed)) return null;
  // asctime carries no zone; HTTP-dates are always GMT, so say so rather than use local time.
  const at = Date.parse(ASCTIME.test(trimmed) ? `${trimmed} GMT` : trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Marks our own deadline, so it is told apart from every other abort. */
export class AttemptDeadline extends Error {
  override readonly name = 'AttemptDeadline';
}

const CERT_ERROR = /CERT|^UNABLE_TO_|^ERR_(SSL|TLS)_|^HOSTNAME_MISMATCH$|SELF_SIGNED/;

function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Keeps messages to one short line: they are stored per attempt and shown in tables. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/**
 * Maps whatever undici or Node threw into an {@link ErrorClass} and a short message.
 * Only codes and messages of network errors are used; none of them carry request headers.
 */
export function classifyError(
  err: unknown,
  target: string,
  timeoutMs: number,
): { errorClass: ErrorClass; message: string } {
  if (err instanceof BlockedByPolicyError) return { errorClass: 'blocked_by_policy', message: err.message };
  if (err instanceof AttemptDeadline) {
    return { errorClass: 'timeout', message: `no response from ${target} within ${timeoutMs} ms` };
  }
  // Happy Eyeballs reports one error per address tried; the first says what happened.
  if (err instanceof AggregateError && err.errors.length > 0 && !errorCode(err)) {
    return classifyError(err.errors[0], target, timeoutMs);
  }
  const code = errorCode(err) ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'ENODATA':
    case 'ESERVFAIL':
      return { errorClass: 'dns', message: `could not resolve ${target} (${code})` };
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return { errorClass: 'connect', message: `could not connect to ${target} (${code})` };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { errorClass: 'timeout', message: `connecting to ${target} timed out` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { errorClass: 'timeout', message: `no response headers from ${target} within ${timeoutMs} ms` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { errorClass: 'timeout', message: `response body from ${target} stalled` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return {
        errorClass: 'connection_reset',
        message: `connection to ${target} closed before a complete response (${code})`,
      };
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { errorClass: 'invalid_response', message: oneLine(`invalid HTTP response: ${detail}`) };
  }
  if (code.startsWith('HPE_') || (err instanceof Error && err.name === 'HTTPParserError')) {
    return { errorClass: 'invalid_response', message: oneLine(`invalid HTTP response: ${detail} (${code})`) };
  }
  if (CERT_ERROR.test(code) || (err as { library?: unknown })?.library === 'SSL routines') {
    return { errorClass: 'tls', message: oneLine(`TLS with ${target} failed: ${detail}`) };
  }
  // Not a known network failure (e.g. undici refusing a malformed custom header): the
  // request never left, which for scheduling purposes is a failure to connect.
  return { errorClass: 'connect', message: oneLine(`request to ${target} failed: ${detail}`) };
}

/** The verdict on a response's status: null for a 2xx. */
export function classifyStatus(status: number): { errorClass: ErrorClass | null; message: string | null } {
  const label = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  if (status >= 200 && status < 300) return { errorClass: null, message: null };
  if (status >= 300 && status < 400)
    return { errorClass: 'http_3xx', message: `${label} (redirects are not followed)` };
  if (status >= 400 && status < 500) return { errorClass: 'http_4xx', message: label };
  if (status >= 500 && status < 600) return { errorClass: 'http_5xx', message: label };
  return { errorClass: 'invalid_response', message: `invalid HTTP status ${status}` };
}
