import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Backend } from './backends.js';
import { startTestHerald, type TestHerald, type TestHeraldOptions } from './herald.js';
import { type Receiver, startReceiver } from './receiver.js';

/** A Herald and a receiver shared by the tests of one `describe` block. */
export interface HeraldWithReceiver {
  readonly herald: TestHerald;
  readonly receiver: Receiver;
}

/**
 * Starts a Herald of `backend` (with its worker unless `options` say otherwise) and a receiver before the tests of the calling
 * `describe` block, and stops both after them. The fields are there once `beforeAll` has run:
 * read them in hooks and tests, not while the block is being collected.
 */
export function heraldWithReceiver(backend: Backend, options: TestHeraldOptions = {}): HeraldWithReceiver {
  const scenario = {} as { herald: TestHerald; receiver: Receiver };
  beforeAll(async () => {
    scenario.herald = await startTestHerald(backend, options);
    scenario.receiver = await startReceiver();
  });
  afterAll(async () => {
    await scenario.herald?.stop();
    await scenario.receiver?.close();
  });
  return scenario;
}

/** The secret that signs operational webhooks in {@link heraldWithOperationalReceiver}. */
export const OPS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * {@link heraldWithReceiver} plus a second receiver that gets the operational webhooks (at `/ops`,
 * signed with {@link OPS_SECRET}); both receivers are reset after each test.
 */
export function heraldWithOperationalReceiver(
  backend: Backend,
  config: Partial<Record<string, string>> = {},
): HeraldWithReceiver & { readonly ops: Receiver } {
  const scenario = {} as { herald: TestHerald; receiver: Receiver; ops: Receiver };
  beforeAll(async () => {
    scenario.receiver = await startReceiver();
    scenario.ops = await startReceiver();
    scenario.herald = await startTestHerald(backend, {
      config: {
        ...config,
        HERALD_OPERATIONAL_WEBHOOK_URL: scenario.ops.url('/ops'),
        HERALD_OPERATIONAL_WEBHOOK_SECRET: OPS_SECRET,
      },
    });
  });
  afterEach(() => {
    scenario.receiver.reset();
    scenario.ops.reset();
  });
  afterAll(async () => {
    await scenario.herald?.stop();
    await scenario.receiver?.close();
    await scenario.ops?.close();
  });
  return scenario;
}
