import type { HeraldContext } from '../context.js';
import type { HeraldApp } from './types.js';

/** The web UI's static files (dashboard at /, consumer portal at /portal). */
export async function uiRoutes(_app: HeraldApp, _ctx: HeraldContext): Promise<void> {}
