import { describe, expect, it } from 'vitest';
import {
  activeFilterCount,
  filtersFromSearch,
  filtersToSearch,
  historyRequest,
  NO_FILTERS,
} from './filters.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const FIRST = { iterator: null, limit: 25 };

describe('history filters', () => {
  it('survive a round trip through the page address', () => {
    const filters = {
      status: '2' as const,
      delivery: 'exhausted' as const,
      search: 'order-1',
      tag: 'vip',
      eventTypes: ['invoice.paid'],
      channel: 'eu',
      range: 'custom' as const,
      after: '2026-02-01T10:00',
      before: '2026-02-02T10:00',
      endpointId: 'ep_1',
    };
    expect(filtersFromSearch(filtersToSearch(filters))).toEqual(filters);
  });

  it('leave unset filters out of the address', () => {
    expect(filtersToSearch(NO_FILTERS)).toBe('');
    expect(filtersToSearch({ ...NO_FILTERS, range: '24h', after: '2026-01-01T00:00' })).toBe('?range=24h');
  });

  it('ignore malformed values from a hand-edited address', () => {
    const filters = filtersFromSearch('?status=9&delivery=lost&range=forever&eventType=&channel=eu');
    expect(filters).toEqual({ ...NO_FILTERS, channel: 'eu' });
  });

  it('count the filters in use', () => {
    expect(activeFilterCount(NO_FILTERS)).toBe(0);
    expect(activeFilterCount({ ...NO_FILTERS, channel: 'eu', range: '1h', eventTypes: ['a', 'b'] })).toBe(3);
  });
});

describe('the history request', () => {
  it('lists messages with event type, channel and time filters when no endpoint is chosen', () => {
    const request = historyRequest(
      'app_1',
      { ...NO_FILTERS, eventTypes: ['invoice.paid'], channel: 'eu', range: '1h' },
      NOW,
      FIRST,
    );
    expect(request).toEqual({
      kind: 'messages',
      path: '/api/v1/app/app_1/msg',
      query: {
        limit: 25,
        iterator: null,
        event_types: ['invoice.paid'],
        channel: 'eu',
        tag: '',
        after: '2026-03-01T11:00:00.000Z',
        before: undefined,
        delivery_status: '',
        with_content: false,
      },
    });
  });

  it("lists one endpoint's attempts, with the status filter and their messages, when an endpoint is chosen", () => {
    const request = historyRequest('acme', { ...NO_FILTERS, endpointId: 'ep_9', status: '2' }, NOW, {
      iterator: 'atmpt_x',
      limit: 10,
    });
    expect(request.kind).toBe('attempts');
    expect(request).toMatchObject({
      path: '/api/v1/app/acme/attempt/endpoint/ep_9',
      query: { status: '2', with_msg: true, iterator: 'atmpt_x', limit: 10 },
    });
  });

  it('asks for an endpoint before filtering by status', () => {
    expect(historyRequest('a', { ...NO_FILTERS, status: '0' }, NOW, FIRST).error).toEqual({
      field: 'status',
      message: 'Choose an endpoint to filter by attempt status.',
    });
  });

  it('filters messages by their delivery status across endpoints, and by tag, without an endpoint', () => {
    const request = historyRequest('a', { ...NO_FILTERS, delivery: 'failing', tag: 'vip' }, NOW, FIRST);
    expect(request).toMatchObject({
      kind: 'messages',
      path: '/api/v1/app/a/msg',
      query: { delivery_status: 'failing', tag: 'vip' },
    });
  });

  it('searches one message by id or eventId, or its attempts to the chosen endpoint', () => {
    expect(
      historyRequest('a', { ...NO_FILTERS, search: ' order-1 ', delivery: 'failing' }, NOW, FIRST),
    ).toEqual({
      kind: 'message',
      path: '/api/v1/app/a/msg/order-1',
      query: { with_content: false },
    });
    expect(
      historyRequest('a', { ...NO_FILTERS, search: 'msg_1', endpointId: 'ep_1', status: '2' }, NOW, FIRST),
    ).toMatchObject({
      kind: 'attempts',
      path: '/api/v1/app/a/attempt/msg/msg_1',
      query: { endpoint_id: 'ep_1', status: '2', with_msg: true },
    });
    expect(historyRequest('a', { ...NO_FILTERS, search: 'a b' }, NOW, FIRST).error?.field).toBe('search');
    expect(historyRequest('a', { ...NO_FILTERS, tag: 'v i p' }, NOW, FIRST).error?.field).toBe('tag');
  });

  it('refuses a channel the API would reject', () => {
    expect(historyRequest('a', { ...NO_FILTERS, channel: 'eu west' }, NOW, FIRST).error?.field).toBe(
      'channel',
    );
  });

  it('turns a custom range into ISO bounds and refuses one that ends before it starts', () => {
    const ok = historyRequest(
      'a',
      { ...NO_FILTERS, range: 'custom', after: '2026-02-01T10:00', before: '2026-02-02T10:00' },
      NOW,
      FIRST,
    );
    expect(ok.kind).toBe('messages');
    if (ok.kind) {
      expect(ok.query.after).toBe(new Date('2026-02-01T10:00').toISOString());
      expect(ok.query.before).toBe(new Date('2026-02-02T10:00').toISOString());
    }
    const reversed = historyRequest(
      'a',
      { ...NO_FILTERS, range: 'custom', after: '2026-02-03T10:00', before: '2026-02-02T10:00' },
      NOW,
      FIRST,
    );
    expect(reversed.error).toEqual({ field: 'after', message: 'The start of the range is after its end.' });
  });

  it('escapes ids in the path', () => {
    const request = historyRequest('a/b', { ...NO_FILTERS, endpointId: 'ep?x' }, NOW, FIRST);
    expect(request.kind && request.path).toBe('/api/v1/app/a%2Fb/attempt/endpoint/ep%3Fx');
  });
});
