import { filterText, readFilterDraft } from './filter-draft.js';

/**
 * The endpoint form: what the person typed, checked the way Herald checks it (so most mistakes
 * are caught before a round trip), and turned into the API's request bodies. Pure, so every
 * rule is tested without a browser; the server's 422 still has the last word.
 */

export interface HeaderRow {
  name: string;
  value: string;
  /** Shown back by the server as a name only (a credential): an empty value keeps the stored one. */
  sensitive?: boolean;
}

export interface EndpointFormValues {
  url: string;
  description: string;
  /** Empty = every event type. */
  eventTypes: string[];
  /** Comma- or space-separated. Empty = every channel. */
  channels: string;
  /** Messages per second; empty = no limit. */
  rateLimit: string;
  headers: HeaderRow[];
  /** The payload filter as JSON text; empty = every message. */
  filter: string;
  /** Herald's ordered delivery: each ordering key's messages one at a time, in publish order. */
  ordering: 'none' | 'fifo';
  fifoOnExhausted: 'block' | 'skip';
  /** Consecutive messages of one key per request, 1-100. */
  fifoBatchSize: string;
}

export type EndpointFormErrors = Partial<
  Record<'url' | 'description' | 'channels' | 'rateLimit' | 'headers' | 'filter' | 'fifoBatchSize', string>
>;

export const EMPTY_ENDPOINT_FORM: EndpointFormValues = {
  url: '',
  description: '',
  eventTypes: [],
  channels: '',
  rateLimit: '',
  headers: [],
  filter: '',
  ordering: 'none',
  fifoOnExhausted: 'block',
  fifoBatchSize: '1',
};

const CHANNEL = /^[a-zA-Z0-9\-_.:+]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers Herald sets itself on every delivery; a custom value would break signing or framing. */
const RESERVED_HEADER =
  /^(webhook-|svix-)|^(host|content-length|content-type|transfer-encoding|connection|user-agent)$/i;

/** Splits the channels field into the list the API takes. */
export function parseChannels(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** Checks the form; an empty object means it can be sent. */
export function validateEndpointForm(values: EndpointFormValues): EndpointFormErrors {
  const errors: EndpointFormErrors = {};
  const url = values.url.trim();
  if (!url) errors.url = 'Enter the URL that should receive the webhooks.';
  else {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      errors.url = 'This is not a complete URL (for example https://example.com/webhooks).';
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      errors.url = 'The URL must start with https:// (or http://).';
  }
  if (values.description.length > 4096) errors.description = 'Keep the description under 4096 characters.';

  const channels = parseChannels(values.channels);
  const badChannel = channels.find((c) => !CHANNEL.test(c) || c.length > 128);
  if (badChannel)
    errors.channels = `"${badChannel}" is not a valid channel (letters, digits and - _ . : + only).`;
  else if (channels.length > 10) errors.channels = 'An endpoint listens to at most 10 channels.';
  else if (new Set(channels).size !== channels.length) errors.channels = 'A channel is listed twice.';

  const rate = values.rateLimit.trim();
  if (rate && (!/^\d+$/.test(rate) || Number(rate) < 1 || Number(rate) > 65535))
    errors.rateLimit = 'The rate limit is a whole number of messages per second, from 1 to 65535.';

  const batch = values.fifoBatchSize.trim();
  if (!/^\d+$/.test(batch) || Number(batch) < 1 || Number(batch) > 100)
    errors.fifoBatchSize = 'The batch size is a whole number of messages, from 1 to 100.';

  const headerError = checkHeaders(values.headers);
  if (headerError) errors.headers = headerError;
  const filter = readFilterDraft(values.filter);
  if (filter.kind === 'invalid') errors.filter = filter.message;
  return errors;
}

function checkHeaders(rows: HeaderRow[]): string | undefined {
  const seen = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!name && !row.value) continue;
    if (!name) return 'Every header needs a name.';
    if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name.`;
    if (RESERVED_HEADER.test(name)) return `"${name}" is set by Herald itself and cannot be overridden.`;
    if (seen.has(name.toLowerCase())) return `The header "${name}" is listed twice.`;
    seen.add(name.toLowerCase());
    if (!row.value && !row.sensitive) return `The header "${name}" needs a value.`;
  }
  return undefined;
}

/** The custom headers as the create call takes them (rows left blank are dropped). */
export function headersObject(rows: HeaderRow[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const row of rows) if (row.name.trim() && row.value) headers[row.name.trim()] = row.value;
  return headers;
}

/** The body of `POST /app/{app}/endpoint` (2.x SDK spellings, which Herald answers in both). */
export function endpointCreateBody(values: EndpointFormValues): Record<string, unknown> {
  const channels = parseChannels(values.channels);
  const headers = headersObject(values.headers);
  const filter = readFilterDraft(values.filter);
  return {
    url: values.url.trim(),
    description: values.description,
    eventTypes: values.eventTypes.length > 0 ? values.eventTypes : null,
    channels: channels.length > 0 ? channels : null,
    throttleRate: values.rateLimit.trim() ? Number(values.rateLimit.trim()) : null,
    filter: filter.kind === 'ok' ? filter.value : null,
    ordering: values.ordering,
    fifoOnExhausted: values.fifoOnExhausted,
    fifoBatchSize: Number(values.fifoBatchSize.trim()),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

/** The body of `PATCH /app/{app}/endpoint/{id}`: every field, with null clearing a filter or limit. */
export function endpointPatchBody(values: EndpointFormValues): Record<string, unknown> {
  const { headers: _headers, ...rest } = endpointCreateBody(values);
  return rest;
}

/**
 * The body of `PATCH …/headers` that turns the stored headers into the form's rows: changed and
 * new values are set, removed names go in `deleteHeaders`, and a credential left blank keeps its
 * value. Null when nothing changed.
 */
export function headersPatchBody(
  stored: { headers: Record<string, string>; sensitive: string[] },
  rows: HeaderRow[],
): { headers: Record<string, string>; deleteHeaders: string[] } | null {
  const headers: Record<string, string> = {};
  const kept = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) continue;
    kept.add(name.toLowerCase());
    if (row.value && stored.headers[name] !== row.value) headers[name] = row.value;
  }
  const deleteHeaders = [...Object.keys(stored.headers), ...stored.sensitive].filter(
    (name) => !kept.has(name.toLowerCase()),
  );
  return Object.keys(headers).length > 0 || deleteHeaders.length > 0 ? { headers, deleteHeaders } : null;
}

/** Form values for an existing endpoint and its stored headers. */
export function formFromEndpoint(
  endpoint: {
    url: string;
    description: string;
    eventTypes?: string[] | null;
    filterTypes?: string[] | null;
    channels: string[] | null;
    throttleRate?: number | null;
    rateLimit?: number | null;
    filter?: Record<string, unknown> | null;
    ordering?: 'none' | 'fifo';
    fifoOnExhausted?: 'block' | 'skip';
    fifoBatchSize?: number;
  },
  headers: { headers: Record<string, string>; sensitive: string[] } | null,
): EndpointFormValues {
  const rate = endpoint.throttleRate ?? endpoint.rateLimit ?? null;
  return {
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes ?? endpoint.filterTypes ?? [],
    channels: (endpoint.channels ?? []).join(', '),
    rateLimit: rate === null ? '' : String(rate),
    filter: filterText(endpoint.filter),
    ordering: endpoint.ordering ?? 'none',
    fifoOnExhausted: endpoint.fifoOnExhausted ?? 'block',
    fifoBatchSize: String(endpoint.fifoBatchSize ?? 1),
    headers: headers
      ? [
          ...Object.entries(headers.headers).map(([name, value]) => ({ name, value })),
          ...headers.sensitive.map((name) => ({ name, value: '', sensitive: true })),
        ]
      : [],
  };
}
