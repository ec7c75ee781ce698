/**
 * The delivery history's filters: kept in the page's query string (so a filtered view survives a
 * reload and can be shared), and turned into the API call that answers them. Without an endpoint
 * the history lists messages (`GET /app/{app}/msg`, with Herald's `delivery_status` filter across
 * endpoints); with one it lists that endpoint's attempts (`GET /app/{app}/attempt/endpoint/{endpoint}`),
 * where Svix offers the attempt status filter. A search for a message id or `eventId` fetches that
 * message (`GET /app/{app}/msg/{id}`, which takes either), or its attempts to the chosen endpoint.
 */
import { buildQuery, type QueryValue, seg } from './query.js';

export const TIME_RANGES = ['any', '1h', '24h', '7d', 'custom'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

export const STATUS_FILTERS = ['', '0', '1', '2', '3'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export const DELIVERY_FILTERS = ['', 'exhausted', 'failing', 'pending', 'succeeded'] as const;
export type DeliveryFilter = (typeof DELIVERY_FILTERS)[number];

export interface HistoryFilters {
  /** Attempt status as Svix numbers it ('' = any): 0 succeeded, 1 pending, 2 failed, 3 sending. */
  status: StatusFilter;
  /** Messages by their deliveries across endpoints ('' = any), when no endpoint is chosen. */
  delivery: DeliveryFilter;
  /** A message id or `eventId`. */
  search: string;
  tag: string;
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
  delivery: '',
  search: '',
  tag: '',
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
const TAG = /^[a-zA-Z0-9\-_./\\#]+$/;
/** Message ids (`msg_…`) and eventIds share the uid alphabet. */
const MESSAGE_KEY = /^[a-zA-Z0-9\-_.]+$/;

/** Reads filters from a page's query string; unknown or malformed values fall back to "any". */
export function filtersFromSearch(search: string): HistoryFilters {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const range = params.get('range') ?? 'any';
  const delivery = params.get('delivery') ?? '';
  return {
    status: (STATUS_FILTERS as readonly string[]).includes(status) ? (status as StatusFilter) : '',
    delivery: (DELIVERY_FILTERS as readonly string[]).includes(delivery) ? (delivery as DeliveryFilter) : '',
    search: params.get('q') ?? '',
    tag: params.get('tag') ?? '',
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
    q: filters.search,
    status: filters.status,
    delivery: filters.delivery,
    tag: filters.tag,
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
    (filters.delivery ? 1 : 0) +
    (filters.search ? 1 : 0) +
    (filters.tag ? 1 : 0) +
    (filters.eventTypes.length > 0 ? 1 : 0) +
    (filters.channel ? 1 : 0) +
    (filters.range !== 'any' ? 1 : 0) +
    (filters.endpointId ? 1 : 0)
  );
}

/** The API request that answers a filtered history page, or the filter that is wrong. */
export type HistoryRequest =
  | {
      kind: 'messages' | 'attempts' | 'message';
      path: string;
      query: Record<string, QueryValue>;
      error?: undefined;
    }
  | { kind?: undefined; error: { field: keyof HistoryFilters; message: string } };

/**
 * Turns filters into the list call. `now` is passed in so relative ranges are testable. The
 * attempt status needs an endpoint (only attempt lists carry one); the delivery status is for
 * the message list. A search names one message, so the other filters do not apply to it.
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
    return { error: { field: 'status', message: 'Choose an endpoint to filter by attempt status.' } };
  if (filters.tag && !TAG.test(filters.tag))
    return { error: { field: 'tag', message: 'A tag holds only letters, digits and - _ . / \\ #' } };
  const search = filters.search.trim();
  if (search && !MESSAGE_KEY.test(search))
    return {
      error: { field: 'search', message: 'A message id or eventId holds only letters, digits and - _ .' },
    };
  if (search && filters.endpointId)
    return {
      kind: 'attempts',
      path: `/api/v1/app/${seg(appId)}/attempt/msg/${seg(search)}`,
      query: {
        endpoint_id: filters.endpointId,
        status: filters.status,
        limit: page.limit,
        iterator: page.iterator,
        with_msg: true,
      },
    };
  if (search)
    return {
      kind: 'message',
      path: `/api/v1/app/${seg(appId)}/msg/${seg(search)}`,
      query: { with_content: false },
    };

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
    tag: filters.tag,
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
    query: { ...common, delivery_status: filters.delivery, with_content: false },
  };
}
