/** `herald/verify/fastify`, kept for existing imports: the code lives in the `@herald/verify/fastify` package (packages/verify). */
export * from '@herald/verify/fastify';
