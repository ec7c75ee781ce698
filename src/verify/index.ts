/** `herald/verify`, kept for existing imports: the code lives in the `@herald/verify` package (packages/verify). */
export * from '@herald/verify';
