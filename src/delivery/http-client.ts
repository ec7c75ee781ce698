import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import { BlockedByPolicyError, createGuardedConnector, type LookupFn } from './guarded-connector.js';
import type { NetworkPolicy } from './network-policy.js';

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

/** One webhook POST. The headers (signatures included) are sent but never echoed in the result. */
export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * What one attempt observed, response side only. `errorClass` is null exactly when the
 * receiver answered 2xx. `errorMessage` is a short line for people; on a 2xx it may
 * still note that the body could not be read completely (the status decides the outcome:
 * the receiver has already said it accepted the message).
 */
export interface DeliveryResult {
  /** HTTP status, or 0 when no HTTP response arrived. */
  statusCode: number;
  /** The response body as UTF-8 text, truncated to `storedResponseBytes`. */
  responseBody: string;
  /** Response headers, lower-case names, repeated headers joined with `, `. */
  responseHeaders: Record<string, string>;
  durationMs: number;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  /** The receiver's `Retry-After` in ms, on 429/502/503/504 only; the caller bounds it. */
  retryAfterMs: number | null;
}

/** Sends webhook requests through the SSRF guard. */
export interface DeliveryClient {
  /**
   * Sends one POST with `user-agent` and `content-type: application/json` unless the
   * request's headers set them. Network and HTTP failures are reported in the result,
   * never thrown.
   */
  send(request: DeliveryRequest): Promise<DeliveryResult>;
  /** Lets in-flight requests finish, then closes every pooled connection. */
  close(): Promise<void>;
}

/** Options for {@link createDeliveryClient}. */
export interface DeliveryClientOptions {
  policy: NetworkPolicy;
  /** Limit on the whole attempt: resolve, connect, TLS, headers and body. */
  requestTimeoutMs: number;
  /** Most response bytes read before the connection is dropped (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
  /** Most response bytes kept in the result (default {@link DEFAULT_STORED_RESPONSE_BYTES}). */
  storedResponseBytes?: number;
  userAgent: string;
  /** Connections kept per origin; unlimited when absent, like a bare undici Agent. */
  connectionsPerOrigin?: number;
  /** Resolver replacing `dns.lookup`, for tests. */
  lookup?: LookupFn;
}

/**
 * Read cap: a body that ends within 64 KiB is read to the end so the connection can be
 * reused; past that, dropping the connection is cheaper than draining a large body.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Stored cap: 8 KiB holds any error page or JSON acknowledgement worth showing a person,
 * while keeping attempt rows small (one per try, ~8 per message, kept for weeks).
 */
export const DEFAULT_STORED_RESPONSE_BYTES = 8 * 1024;

/** Statuses on which a receiver's `Retry-After` is honoured (throttling and overload). */
const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

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
class AttemptDeadline extends Error {
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
function classifyError(
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

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function classifyStatus(status: number): { errorClass: ErrorClass | null; message: string | null } {
  const label = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  if (status >= 200 && status < 300) return { errorClass: null, message: null };
  if (status >= 300 && status < 400)
    return { errorClass: 'http_3xx', message: `${label} (redirects are not followed)` };
  if (status >= 400 && status < 500) return { errorClass: 'http_4xx', message: label };
  if (status >= 500 && status < 600) return { errorClass: 'http_5xx', message: label };
  return { errorClass: 'invalid_response', message: `invalid HTTP status ${status}` };
}

interface CappedBody {
  text: string;
  error: unknown;
}

/**
 * Reads at most `readCap` bytes (plus the chunk in flight) and keeps at most `storeCap`.
 * Leaving the loop early destroys the body, which makes undici drop the connection, so
 * a receiver streaming gigabytes costs us one chunk of memory, not the whole body.
 * When Content-Length already says the body is over the read cap, reading stops at the
 * stored cap: the connection cannot be reused anyway.
 */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  declaredLength: number,
  readCap: number,
  storeCap: number,
): Promise<CappedBody> {
  const limit = declaredLength > readCap ? storeCap : readCap;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  let truncated = false;
  let error: unknown = null;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      readBytes += chunk.length;
      if (keptBytes < storeCap) {
        const slice = chunk.subarray(0, storeCap - keptBytes);
        kept.push(slice);
        keptBytes += slice.length;
      }
      if (readBytes > keptBytes) truncated = true;
      if (readBytes >= limit) {
        truncated = true;
        break;
      }
    }
  } catch (err) {
    error = err;
    truncated = true;
  } finally {
    body.destroy();
  }
  // In stream mode the decoder withholds an incomplete trailing character instead of
  // storing a replacement character for the bytes we cut off.
  const text = new TextDecoder('utf-8').decode(Buffer.concat(kept), { stream: truncated });
  return { text, error };
}

/**
 * Creates the client the worker delivers with: an undici `Agent` (a keep-alive pool per
 * origin) dialling through the SSRF-guarded connector, never following redirects (a
 * redirect would let a receiver point us at an address the policy never saw in the URL,
 * and Standard Webhooks treats 3xx as failure), with one deadline over the whole attempt
 * so a hanging or trickling receiver cannot hold a worker slot past `requestTimeoutMs`.
 */
export function createDeliveryClient(options: DeliveryClientOptions): DeliveryClient {
  const timeoutMs = options.requestTimeoutMs;
  const readCap = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const storeCap = Math.min(options.storedResponseBytes ?? DEFAULT_STORED_RESPONSE_BYTES, readCap);
  const agent = new Agent({
    connect: createGuardedConnector({
      policy: options.policy,
      lookup: options.lookup,
      connectTimeoutMs: timeoutMs,
    }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: options.connectionsPerOrigin ?? null,
  });

  async function send(request: DeliveryRequest): Promise<DeliveryResult> {
    const started = performance.now();
    const result = (fields: Partial<DeliveryResult>): DeliveryResult => ({
      statusCode: 0,
      responseBody: '',
      responseHeaders: {},
      errorClass: null,
      errorMessage: null,
      retryAfterMs: null,
      ...fields,
      durationMs: Math.round(performance.now() - started),
    });

    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return result({ errorClass: 'connect', errorMessage: 'endpoint URL is not a valid URL' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return result({
        errorClass: 'blocked_by_policy',
        errorMessage: `scheme ${url.protocol} is not allowed, only http and https`,
      });
    }
    const target = url.host;

    const headers: Record<string, string> = {
      'user-agent': options.userAgent,
      'content-type': 'application/json',
    };
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new AttemptDeadline()), timeoutMs);
    try {
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: request.body,
        signal: deadline.signal,
      });
      const responseHeaders = flattenHeaders(response.headers);
      const declared = Number(responseHeaders['content-length'] ?? -1);
      const body = await readCapped(response.body, declared, readCap, storeCap);
      const status = classifyStatus(response.statusCode);
      let errorMessage = status.message;
      if (body.error) {
        const bodyError = deadline.signal.aborted ? new AttemptDeadline() : body.error;
        const reason = classifyError(bodyError, target, timeoutMs).message;
        errorMessage = `${errorMessage ?? `HTTP ${response.statusCode}`}; response body incomplete: ${reason}`;
      }
      return result({
        statusCode: response.statusCode,
        responseBody: body.text,
        responseHeaders,
        errorClass: status.errorClass,
        errorMessage,
        retryAfterMs: RETRY_AFTER_STATUSES.has(response.statusCode)
          ? parseRetryAfter(responseHeaders['retry-after'], Date.now())
          : null,
      });
    } catch (err) {
      // Once our deadline fired, whatever undici reports (abort, socket closed) is a timeout.
      const cause =
        deadline.signal.aborted && !(err instanceof BlockedByPolicyError) ? new AttemptDeadline() : err;
      const { errorClass, message } = classifyError(cause, target, timeoutMs);
      return result({ errorClass, errorMessage: message });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    close: () => agent.close(),
  };
}
