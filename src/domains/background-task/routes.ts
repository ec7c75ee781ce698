import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';

/** Background tasks (recover, replay): list and get. */
export async function backgroundTaskRoutes(_app: HeraldApp, _ctx: HeraldContext): Promise<void> {}
