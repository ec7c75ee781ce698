/** `herald/verify/hono`, kept for existing imports: the code lives in the `@herald/verify/hono` package (packages/verify). */
export * from '@herald/verify/hono';
