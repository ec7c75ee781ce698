/** How times, durations, statuses and error classes read on screen. */
import type { EndpointStats, MessageStatus } from '../api/types.js';

const STATUS_LABELS: Record<number, string> = {
  0: 'Succeeded',
  1: 'Pending',
  2: 'Failed',
  3: 'Sending',
  4: 'Canceled',
};

/** "Succeeded", "Failed"… for Svix's status numbers. */
export function statusLabel(status: MessageStatus | number): string {
  return STATUS_LABELS[status] ?? `Status ${status}`;
}

/** The badge tone for a status: green, red, amber or grey. */
export function statusTone(status: number): 'good' | 'bad' | 'warn' | 'muted' {
  if (status === 0) return 'good';
  if (status === 2) return 'bad';
  if (status === 1 || status === 3) return 'warn';
  return 'muted';
}

const ERROR_CLASSES: Record<string, string> = {
  dns: 'The host name did not resolve (DNS)',
  connect: 'The connection was refused or dropped',
  tls: 'The TLS handshake failed',
  timeout: 'The endpoint did not answer in time',
  http_3xx: 'Answered with a redirect (not followed)',
  http_4xx: 'Answered with a client error (4xx)',
  http_5xx: 'Answered with a server error (5xx)',
  blocked_by_policy: 'Blocked: the address is private or not allowed',
  response_too_large: 'The response was too large',
};

/** A sentence for an attempt's error class; unknown classes are shown as they are. */
export function errorClassLabel(errorClass: string | null | undefined): string | null {
  if (!errorClass) return null;
  return ERROR_CLASSES[errorClass] ?? errorClass.replace(/_/g, ' ');
}

/** "3 min ago", "in 2 h", "just now": relative to `now` (ms), for lists read at a glance. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const diff = then - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return 'just now';
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size || unit === 'min') {
      const n = Math.round(abs / size);
      return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
    }
  }
  return 'just now';
}

/** A full local date and time, for titles and detail pages. */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}

/** "850 ms", "2.4 s", "1 min 5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/**
 * Share of attempts that succeeded over the last day when Herald reports it, else the share of
 * finished deliveries that succeeded (Svix's counts); null when nothing has finished yet.
 */
export function successRatio(stats: EndpointStats | null | undefined): number | null {
  if (!stats) return null;
  if (stats.lastDay && stats.lastDay.attempts > 0 && typeof stats.lastDay.successRatio === 'number')
    return stats.lastDay.successRatio;
  const finished = stats.success + stats.fail;
  return finished === 0 ? null : stats.success / finished;
}

/** "98 %", "—". */
export function percent(ratio: number | null): string {
  if (ratio === null) return '—';
  const value = ratio * 100;
  return `${value >= 99.95 || value === 0 ? value.toFixed(0) : value.toFixed(1)} %`;
}

/** Health at a glance: disabled, failing, degraded, healthy or no traffic yet. */
export function endpointHealth(
  disabled: boolean,
  ratio: number | null,
): { tone: 'good' | 'warn' | 'bad' | 'muted'; label: string } {
  if (disabled) return { tone: 'muted', label: 'Disabled' };
  if (ratio === null) return { tone: 'muted', label: 'No deliveries yet' };
  if (ratio >= 0.95) return { tone: 'good', label: 'Healthy' };
  if (ratio >= 0.5) return { tone: 'warn', label: 'Degraded' };
  return { tone: 'bad', label: 'Failing' };
}

/** Pretty-prints a stored body: JSON indented, anything else as it came. */
export function prettyBody(body: string | null | undefined): { text: string; json: boolean } {
  if (!body) return { text: '', json: false };
  try {
    return { text: JSON.stringify(JSON.parse(body), null, 2), json: true };
  } catch {
    return { text: body, json: false };
  }
}

/**
 * How long until a scheduled time, to the second under a minute ("in 38 s", "in 5 min",
 * "in 2 h"), or "due now" once it has passed: for retry schedules, where "just now" would hide
 * whether the retry is ahead or behind.
 */
export function countdown(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 0) return 'due now';
  if (seconds < 60) return `in ${seconds} s`;
  if (seconds < 3600) return `in ${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `in ${Math.round(seconds / 3600)} h`;
  return `in ${Math.round(seconds / 86_400)} d`;
}
