import type { HeraldApp } from '../../src/http/types.js';

/** One route of Herald's table: a method and a path with `:param` placeholders. */
export interface Route {
  method: string;
  path: string;
  /** Names of the path parameters, in order. */
  params: string[];
}

/**
 * Every route Fastify has registered, read from `printRoutes`' tree (Fastify has no other
 * public route listing once the app is built). Hidden routes count too: the point is that a
 * route added tomorrow is walked by the security tests without anyone remembering to.
 */
export function routeTable(app: HeraldApp): Route[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const stack: string[] = [];
  const routes: Route[] = [];
  for (const line of lines) {
    const branch = line.search(/[├└]── /);
    if (branch < 0) continue;
    const depth = branch / 4;
    const match = /^(.*) \(([A-Z, ]+)\)$/.exec(line.slice(branch + 4));
    if (!match) continue;
    const [, segment = '', methods = ''] = match;
    stack.length = depth;
    stack.push(segment);
    const path = stack.join('').replace(/\/{2,}/g, '/');
    for (const method of methods.split(',').map((m) => m.trim())) {
      routes.push({
        method,
        path,
        params: [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string),
      });
    }
  }
  return routes;
}

/** `path` with each `:param` replaced by `values[param]` (URL-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter :${name} of ${path}`);
    return encodeURIComponent(value);
  });
}
