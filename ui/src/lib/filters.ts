/**
 * The delivery history's filters: kept in the page's query string (so a filtered view survives a
 * reload and can be shared), and turned into the API call that answers them. Without an endpoint
 * the history lists messages (`GET /app/{app}/msg`); with one it lists that endpoint's attempts
 * (`GET /app/{app}/attempt/endpoint/{endpoint}`), which is where Svix offers the status filter.
 */
import { buildQuery, type QueryValue, seg } from './query.js';

export const TIME_RANGES = ['any', '1h', '24h', '7d', 'custom'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

export const STATUS_FILTERS = ['', '0', '1', '2', '3'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export interface HistoryFilters {
  /** Attempt status as Svix numbers it ('' = any): 0 succeeded, 1 pending, 2 failed, 3 sending. */
  status: StatusFilter;
  eventTypes: string[];
  channel: string;
  range: TimeRange;
  /** `datetime-local` values (local time, no zone) for the custom range. */
  after: string;
  before: string;
  endpointId: string;
}

export const NO_FILTERS: HistoryFilters = {
  status: '',
  eventTypes: [],
  channel: '',
  range: 'any',
  after: '',
  before: '',
  endpointId: '',
};

const RANGE_MS: Record<Exclude<TimeRange, 'any' | 'custom'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};

const CHANNEL = /^[a-zA-Z0-9\-_.:+]+$/;

/** Reads filters from a page's query string; unknown or malformed values fall back to "any". */
export function filtersFromSearch(search: string): HistoryFilters {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const range = params.get('range') ?? 'any';
  return {
    status: (STATUS_FILTERS as readonly string[]).includes(status) ? (status as StatusFilter) : '',
    eventTypes: params.getAll('eventType').filter(Boolean),
    channel: params.get('channel') ?? '',
    range: (TIME_RANGES as readonly string[]).includes(range) ? (range as TimeRange) : 'any',
    after: params.get('after') ?? '',
    before: params.get('before') ?? '',
    endpointId: params.get('endpoint') ?? '',
  };
}

/** The query string for the page, with only the filters that are set. */
export function filtersToSearch(filters: HistoryFilters): string {
  const custom = filters.range === 'custom';
  return buildQuery({
    status: filters.status,
    eventType: filters.eventTypes,
    channel: filters.channel,
    range: filters.range === 'any' ? '' : filters.range,
    after: custom ? filters.after : '',
    before: custom ? filters.before : '',
    endpoint: filters.endpointId,
  });
}

/** Counts the filters in use, for the "clear filters (3)" button. */
export function activeFilterCount(filters: HistoryFilters): number {
  return (
    (filters.status ? 1 : 0) +
    (filters.eventTypes.length > 0 ? 1 : 0) +
    (filters.channel ? 1 : 0) +
    (filters.range !== 'any' ? 1 : 0) +
    (filters.endpointId ? 1 : 0)
  );
}

/** The API request that answers a filtered history page, or the filter that is wrong. */
export type HistoryRequest =
  | { kind: 'messages' | 'attempts'; path: string; query: Record<string, QueryValue>; error?: undefined }
  | { kind?: undefined; error: { field: keyof HistoryFilters; message: string } };

/**
 * Turns filters into the list call. `now` is passed in so relative ranges are testable; the
 * status filter needs an endpoint because only attempt lists carry a status.
 */
export function historyRequest(
  appId: string,
  filters: HistoryFilters,
  now: number,
  page: { iterator: string | null; limit: number },
): HistoryRequest {
  if (filters.channel && !CHANNEL.test(filters.channel))
    return {
      error: { field: 'channel', message: 'A channel holds only letters, digits and - _ . : +' },
    };
  if (filters.status && !filters.endpointId)
    return { error: { field: 'status', message: 'Choose an endpoint to filter by delivery status.' } };

  let after: string | undefined;
  let before: string | undefined;
  if (filters.range === 'custom') {
    const from = filters.after ? new Date(filters.after) : null;
    const to = filters.before ? new Date(filters.before) : null;
    if (from && Number.isNaN(from.getTime()))
      return { error: { field: 'after', message: 'The start of the range is not a valid date.' } };
    if (to && Number.isNaN(to.getTime()))
      return { error: { field: 'before', message: 'The end of the range is not a valid date.' } };
    if (from && to && from.getTime() > to.getTime())
      return { error: { field: 'after', message: 'The start of the range is after its end.' } };
    after = from?.toISOString();
    before = to?.toISOString();
  } else if (filters.range !== 'any') {
    after = new Date(now - RANGE_MS[filters.range]).toISOString();
  }

  const common = {
    limit: page.limit,
    iterator: page.iterator,
    event_types: filters.eventTypes,
    channel: filters.channel,
    after,
    before,
  };
  if (filters.endpointId) {
    return {
      kind: 'attempts',
      path: `/api/v1/app/${seg(appId)}/attempt/endpoint/${seg(filters.endpointId)}`,
      query: { ...common, status: filters.status, with_msg: true },
    };
  }
  return {
    kind: 'messages',
    path: `/api/v1/app/${seg(appId)}/msg`,
    query: { ...common, with_content: false },
  };
}
