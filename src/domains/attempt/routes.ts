import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';

/** Message attempts: list by endpoint, by message, attempted messages and destinations, get, expunge, resend. */
export async function attemptRoutes(_app: HeraldApp, _ctx: HeraldContext): Promise<void> {}
