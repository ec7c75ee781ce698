import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';

/** The event catalog: CRUD, OpenAPI export, send-example. */
export async function eventTypeRoutes(_app: HeraldApp, _ctx: HeraldContext): Promise<void> {}
