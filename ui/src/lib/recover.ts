/**
 * "Recover failures since…": the window the person picks, checked before anything is sent, and
 * the count shown before they confirm.
 */

export const RECOVER_PRESETS = ['1h', '6h', '24h', '7d', 'custom'] as const;
export type RecoverPreset = (typeof RECOVER_PRESETS)[number];

export const RECOVER_PRESET_LABELS: Record<RecoverPreset, string> = {
  '1h': 'the last hour',
  '6h': 'the last 6 hours',
  '24h': 'the last 24 hours',
  '7d': 'the last 7 days',
  custom: 'a time I choose',
};

const PRESET_MS: Record<Exclude<RecoverPreset, 'custom'>, number> = {
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};

/** Recover looks back at most this far (Svix's limit), so the count stays bounded too. */
export const RECOVER_MAX_MS = 14 * 86_400_000;

/** The `since` to recover from, or why the chosen time cannot be used. */
export function recoverSince(
  preset: RecoverPreset,
  custom: string,
  now: number,
): { since: string; error?: undefined } | { error: string } {
  if (preset !== 'custom') return { since: new Date(now - PRESET_MS[preset]).toISOString() };
  if (!custom) return { error: 'Choose the date and time to recover from.' };
  const at = new Date(custom).getTime();
  if (Number.isNaN(at)) return { error: 'That is not a valid date and time.' };
  if (at > now) return { error: 'The start time is in the future.' };
  if (now - at > RECOVER_MAX_MS) return { error: 'Recovery looks back at most 14 days.' };
  return { since: new Date(at).toISOString() };
}

/** "12 failed messages", "more than 1,000 failed messages", "no failed messages". */
export function recoverCountText(count: number, capped: boolean): string {
  if (count === 0) return 'no failed messages';
  const n = count.toLocaleString('en-US');
  const noun = count === 1 ? 'failed message' : 'failed messages';
  return capped ? `more than ${n} ${noun}` : `${n} ${noun}`;
}
