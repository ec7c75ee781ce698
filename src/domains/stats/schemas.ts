import { Type } from '@sinclair/typebox';
import { DateTime } from '../common/schemas.js';

/** Bucket size and count per window: 60 one-minute buckets, or 96 quarter-hours. */
export const WINDOWS = {
  hour: { bucketMs: 60_000, buckets: 60 },
  day: { bucketMs: 15 * 60_000, buckets: 96 },
} as const;
export type StatsWindow = keyof typeof WINDOWS;

export const WindowQuery = Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' });

export const AttemptBuckets = Type.Array(
  Type.Object({
    start: DateTime,
    succeeded: Type.Integer({ description: 'Attempts that got a 2xx.' }),
    failed: Type.Integer({ description: 'Attempts that did not.' }),
  }),
  { description: 'Attempts per bucket, oldest first; every bucket of the window is listed.' },
);
