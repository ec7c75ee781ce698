import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { NetworkPolicy } from '../core/net/network-policy.js';
import { socketBeingRead } from './bounded-reads.js';
import { BlockedByPolicyError, createGuardedConnector, type LookupFn } from './guarded-connector.js';
import {
  AttemptDeadline,
  classifyError,
  classifyStatus,
  type ErrorClass,
  parseRetryAfter,
  RETRY_AFTER_STATUSES,
} from './outcome-classification.js';

export type { ErrorClass };

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
  /**
   * The connection that carried the previous answer from this URL was closed when this answer
   * came (by the receiver, or by Herald on a body past the read cap or bytes after the answer):
   * this request needed a new connection. Null when it is unknown (no answer, or the first).
   */
  reconnected: boolean | null;
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

/**
 * Most response headers kept per attempt, and most bytes of names and values: every attempt
 * row is stored for weeks, and a receiver choosing its headers must not choose that row's size
 * (undici already refuses a header section over 16 KiB). Headers Herald reads itself
 * (`content-length`, `retry-after`) are kept whatever their position.
 */
const STORED_HEADERS = 64;
const STORED_HEADER_BYTES = 4 * 1024;
const READ_HEADERS = new Set(['content-length', 'retry-after']);

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const text = Array.isArray(value) ? value.join(', ') : value;
    bytes += lower.length + text.length;
    if ((++count > STORED_HEADERS || bytes > STORED_HEADER_BYTES) && !READ_HEADERS.has(lower)) continue;
    flat[lower] = text;
  }
  return flat;
}

/** Where one endpoint URL sends to, or why it cannot be sent to at all. */
type Target =
  | {
      ok: true;
      origin: string;
      path: string;
      host: string;
      /** The connection of the latest answer from this URL, while it lasts. */
      lastConnection: WeakRef<Socket> | null;
    }
  | { ok: false; errorClass: ErrorClass; errorMessage: string };

/** A URL that can be sent to. */
type SendableTarget = Extract<Target, { ok: true }>;

/**
 * Distinct URLs remembered before the cache starts over. A worker delivers to a bounded set
 * of endpoints, so this is never reached in practice; it only stops a stream of one-off URLs
 * from growing memory without limit.
 */
const TARGET_CACHE_LIMIT = 10_000;

function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, errorClass: 'connect', errorMessage: 'endpoint URL is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      errorClass: 'blocked_by_policy',
      errorMessage: `scheme ${url.protocol} is not allowed, only http and https`,
    };
  }
  return {
    ok: true,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    host: url.host,
    lastConnection: null,
  };
}

/**
 * The request headers as undici's flat `[name, value, …]` list: `user-agent` and
 * `content-type` first unless the request sets them, every name lower-cased, the last
 * value winning when two names differ only in case. Same headers, same order as copying
 * into an object, without building one per request.
 */
function requestHeaders(userAgent: string, headers: Record<string, string>): string[] {
  const flat = ['user-agent', userAgent, 'content-type', 'application/json'];
  // Until a name needs lower-casing, object keys are distinct and no lookup is needed.
  let mayRepeat = false;
  for (const key of Object.keys(headers)) {
    const name = key.toLowerCase();
    const value = headers[key] as string;
    if (name !== key) mayRepeat = true;
    if (name === 'user-agent') flat[1] = value;
    else if (name === 'content-type') flat[3] = value;
    else {
      let at = -1;
      if (mayRepeat) {
        for (let i = 4; i < flat.length; i += 2) {
          if (flat[i] === name) {
            at = i;
            break;
          }
        }
      }
      if (at === -1) flat.push(name, value);
      else flat[at + 1] = value;
    }
  }
  return flat;
}

/** Decodes complete bodies; holds no state between calls because it never decodes in stream mode. */
const utf8 = new TextDecoder('utf-8');

/**
 * Decodes the kept bytes. For a truncated body a streaming decoder withholds an incomplete
 * trailing character instead of storing a replacement character for the bytes cut off.
 */
function decodeKept(kept: Buffer[], truncated: boolean): string {
  if (kept.length === 0) return '';
  const bytes = kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept);
  return truncated ? new TextDecoder('utf-8').decode(bytes, { stream: true }) : utf8.decode(bytes);
}

/** Settings shared by every attempt of one client. */
interface AttemptLimits {
  timeoutMs: number;
  readCap: number;
  storeCap: number;
}

/** Stops reading at the cap; never reported, the attempt has already been settled. */
class ReadCapReached extends Error {
  override readonly name = 'ReadCapReached';
}

/**
 * The reasons attempts are aborted with, made once. Node's stream destroy formats the stack of
 * the error it is given; per abort, that was a tenth of the CPU an endless-body receiver cost.
 */
const READ_CAP_REACHED = new ReadCapReached();
const DEADLINE = new AttemptDeadline();

/**
 * Whether the connection of `target`'s previous answer was closed by the time one came on
 * `socket`, and remembers `socket` as the latest. Null when it cannot be told.
 */
function reconnected(target: SendableTarget, socket: Socket | null): boolean | null {
  if (socket === null) return null;
  const previous = target.lastConnection?.deref();
  if (previous !== socket) target.lastConnection = new WeakRef(socket);
  return previous === undefined ? null : previous !== socket && previous.destroyed;
}

function expireAttempt(attempt: Attempt): void {
  attempt.expire();
}

/**
 * One POST, driven by undici's dispatch callbacks rather than `agent.request()`: no
 * AbortController, body stream or async iteration per request (together a measurable
 * share of the worker's CPU). Settles its promise exactly once, whichever comes first of
 * the response end, an error, the read cap or the deadline; callbacks after that are ignored.
 */
class Attempt implements Dispatcher.DispatchHandler {
  readonly result: Promise<DeliveryResult>;
  private resolve!: (result: DeliveryResult) => void;
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | null = null;
  private settled = false;
  private expired = false;
  private statusCode = 0;
  private responseHeaders: Record<string, string> = {};
  private limit = 0;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private readBytes = 0;
  private truncated = false;
  private reconnected: boolean | null = null;

  constructor(
    private readonly limits: AttemptLimits,
    private readonly target: SendableTarget,
    private readonly started: number,
  ) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(expireAttempt, limits.timeoutMs, this);
  }

  /** The deadline: abort whatever is under way and settle as a timeout (or a cut-off body). */
  expire(): void {
    if (this.settled) return;
    this.expired = true;
    // Not yet started (queued or dialling): settled now, aborted in onRequestStart.
    this.controller?.abort(DEADLINE);
    if (!this.settled) this.fail(DEADLINE);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) {
      controller.abort(DEADLINE);
      return;
    }
    this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx are interim answers; the final one follows on the same request.
    if (this.settled || statusCode < 200) return;
    this.reconnected = reconnected(this.target, socketBeingRead());
    this.statusCode = statusCode;
    this.responseHeaders = flattenHeaders(headers);
    const declaredLength = Number(this.responseHeaders['content-length'] ?? -1);
    // When Content-Length already says the body is over the read cap, the connection cannot
    // be reused anyway, so reading stops at the stored cap.
    this.limit = declaredLength > this.limits.readCap ? this.limits.storeCap : this.limits.readCap;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    const { storeCap } = this.limits;
    this.readBytes += chunk.length;
    if (this.keptBytes < storeCap) {
      const slice = chunk.subarray(0, storeCap - this.keptBytes);
      this.kept.push(slice);
      this.keptBytes += slice.length;
    }
    if (this.readBytes > this.keptBytes) this.truncated = true;
    if (this.readBytes >= this.limit) {
      this.truncated = true;
      this.succeed(null);
      // Past the read cap, dropping the connection is cheaper than draining a large body,
      // and a receiver streaming gigabytes costs one chunk of memory. The abort waits for
      // the bytes already received to be parsed: a body that ends in them completes the
      // request, which turns the abort into a no-op and keeps the connection in the pool.
      queueMicrotask(() => controller.abort(READ_CAP_REACHED));
    }
  }

  onResponseEnd(): void {
    if (!this.settled) this.succeed(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.settled) this.fail(err);
  }

  private fail(err: unknown): void {
    if (this.statusCode !== 0) {
      // The receiver has answered; its status decides the outcome, the body is noted as cut.
      this.truncated = true;
      this.succeed(this.expired ? DEADLINE : err);
      return;
    }
    // Once our deadline fired, whatever undici reports (abort, socket closed) is a timeout.
    const cause = this.expired && !(err instanceof BlockedByPolicyError) ? DEADLINE : err;
    const { errorClass, message } = classifyError(cause, this.target.host, this.limits.timeoutMs);
    this.settle(0, '', {}, errorClass, message, null);
  }

  private succeed(bodyError: unknown): void {
    const { statusCode, responseHeaders } = this;
    const status = classifyStatus(statusCode);
    let errorMessage = status.message;
    if (bodyError) {
      const reason = classifyError(bodyError, this.target.host, this.limits.timeoutMs).message;
      errorMessage = `${errorMessage ?? `HTTP ${statusCode}`}; response body incomplete: ${reason}`;
    }
    this.settle(
      statusCode,
      decodeKept(this.kept, this.truncated),
      responseHeaders,
      status.errorClass,
      errorMessage,
      RETRY_AFTER_STATUSES.has(statusCode)
        ? parseRetryAfter(responseHeaders['retry-after'], Date.now())
        : null,
    );
  }

  private settle(
    statusCode: number,
    responseBody: string,
    responseHeaders: Record<string, string>,
    errorClass: ErrorClass | null,
    errorMessage: string | null,
    retryAfterMs: number | null,
  ): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.kept = [];
    this.resolve({
      statusCode,
      responseBody,
      responseHeaders,
      errorClass,
      errorMessage,
      retryAfterMs,
      durationMs: Math.round(performance.now() - this.started),
      reconnected: this.reconnected,
    });
  }
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
  const limits: AttemptLimits = {
    timeoutMs,
    readCap,
    storeCap: Math.min(options.storedResponseBytes ?? DEFAULT_STORED_RESPONSE_BYTES, readCap),
  };
  const agent = new Agent({
    connect: createGuardedConnector({
      policy: options.policy,
      lookup: options.lookup,
      connectTimeoutMs: timeoutMs,
    }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Explicit, so `--max-http-header-size` on the command line cannot raise it.
    maxHeaderSize: 16 * 1024,
    connections: options.connectionsPerOrigin ?? null,
  });
  // Parsing a URL costs more than the rest of preparing a request; endpoints repeat.
  const targets = new Map<string, Target>();

  function send(request: DeliveryRequest): Promise<DeliveryResult> {
    const started = performance.now();
    let target = targets.get(request.url);
    if (target === undefined) {
      if (targets.size >= TARGET_CACHE_LIMIT) targets.clear();
      target = parseTarget(request.url);
      targets.set(request.url, target);
    }
    if (!target.ok) {
      return Promise.resolve({
        statusCode: 0,
        responseBody: '',
        responseHeaders: {},
        errorClass: target.errorClass,
        errorMessage: target.errorMessage,
        retryAfterMs: null,
        durationMs: Math.round(performance.now() - started),
        reconnected: null,
      });
    }

    const attempt = new Attempt(limits, target, started);
    try {
      // Errors, synchronous ones included (a header undici refuses, a closed agent), come
      // back through onResponseError.
      agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: requestHeaders(options.userAgent, request.headers),
          body: request.body,
        },
        attempt,
      );
    } catch (err) {
      attempt.onResponseError(undefined, err as Error);
    }
    return attempt.result;
  }

  return {
    send,
    close: () => agent.close(),
  };
}
