import type { OperationalEventBody, OperationalSink } from '../../context.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../observability/logger.js';
import { parseSigningSecrets, signatureHeader, webhookHeaders } from '../../signing/sign.js';
import type { DeliveryClient } from '../http-client.js';

/** The sink when no `HERALD_OPERATIONAL_WEBHOOK_URL` is set. */
export const NO_OPERATIONAL_EVENTS: OperationalSink = { emit() {}, async close() {} };

/** Retry delays for one operational event; it is dropped (and logged) after the last. */
const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000];
/** Events waiting to be sent at once, at most: a stuck operator endpoint cannot grow memory. */
const MAX_PENDING = 1_000;

/**
 * Sends operational webhooks to the operator, signed like every delivery (Standard
 * Webhooks). They go straight out with a few in-memory retries rather than through the
 * delivery queue: they describe the queue's health, so they must not wait behind it.
 */
export class OperationalWebhookSender implements OperationalSink {
  readonly #secrets;
  #pending = 0;
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: DeliveryClient,
    private readonly url: string,
    secret: string,
    private readonly logger: Logger,
    private readonly svixHeaders: boolean,
  ) {
    this.#secrets = parseSigningSecrets([secret]);
  }

  emit(event: OperationalEventBody): void {
    if (this.#closed) return;
    if (this.#pending >= MAX_PENDING) {
      this.logger.warn({ type: event.type }, 'operational webhook dropped: too many pending');
      return;
    }
    this.#pending++;
    this.#attempt(newId('msg'), JSON.stringify(event), event.type, 0);
  }

  #attempt(id: string, body: string, type: string, tries: number): void {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signatureHeader(id, timestamp, body, this.#secrets);
    const headers = {
      'content-type': 'application/json',
      ...webhookHeaders(id, timestamp, signature, { svixCompat: this.svixHeaders }),
    };
    const sent = this.client.send({ url: this.url, headers, body }).then((result) => {
      if (result.errorClass === null) {
        this.#pending--;
        return;
      }
      const delay = RETRY_DELAYS_MS[tries];
      if (delay === undefined || this.#closed) {
        this.#pending--;
        this.logger.warn(
          { type, errorClass: result.errorClass, status: result.statusCode },
          'operational webhook not delivered',
        );
        return;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#attempt(id, body, type, tries + 1);
      }, delay);
      timer.unref();
      this.#timers.add(timer);
    });
    this.#inFlight.add(sent);
    void sent.finally(() => this.#inFlight.delete(sent));
  }

  /** Waits for requests in flight; pending retries are abandoned. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.allSettled([...this.#inFlight]);
  }
}
