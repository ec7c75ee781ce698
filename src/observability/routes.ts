import type { HeraldContext } from '../context.js';
import type { HeraldApp } from '../http/types.js';

/** GET /metrics in Prometheus text format. */
export async function observabilityRoutes(_app: HeraldApp, _ctx: HeraldContext): Promise<void> {}
