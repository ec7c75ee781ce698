/** `herald/verify/express`, kept for existing imports: the code lives in the `@herald/verify/express` package (packages/verify). */
export * from '@herald/verify/express';
