import { describe, expect, it } from 'vitest';
import { isSubscribed, matchesEventType, subscriptionOf } from './subscription.js';

describe('event type filters', () => {
  it('matches everything when the filter is null', () => {
    expect(matchesEventType(null, 'invoice.paid')).toBe(true);
  });

  it('matches exact names only, case-sensitively', () => {
    expect(matchesEventType(['invoice.paid'], 'invoice.paid')).toBe(true);
    expect(matchesEventType(['invoice.paid'], 'invoice.paid.late')).toBe(false);
    expect(matchesEventType(['Invoice.paid'], 'invoice.paid')).toBe(false);
  });

  it('matches a trailing wildcard against names under that prefix, not lookalikes', () => {
    const filter = ['invoice.*'];
    expect(matchesEventType(filter, 'invoice.paid')).toBe(true);
    expect(matchesEventType(filter, 'invoice.payment_failed')).toBe(true);
    expect(matchesEventType(filter, 'invoice.payment.failed')).toBe(true);
    expect(matchesEventType(filter, 'invoicex.paid')).toBe(false);
    expect(matchesEventType(filter, 'invoice')).toBe(false);
    expect(matchesEventType(filter, 'invoice.')).toBe(false);
  });

  it('matches nothing with an empty list', () => {
    expect(matchesEventType([], 'invoice.paid')).toBe(false);
  });
});

describe('subscriptions', () => {
  it('parses stored filters, with no column meaning no filter', () => {
    expect(subscriptionOf({ id: 'ep_1', event_types: null, channels: null, filter: null })).toEqual({
      eventTypes: null,
      channels: null,
      filter: null,
    });
    expect(
      subscriptionOf({ id: 'ep_1', event_types: '["invoice.*"]', channels: '["eu"]', filter: null }),
    ).toEqual({ eventTypes: ['invoice.*'], channels: ['eu'], filter: null });
  });

  const message = (eventType: string, channels: string[] | null, payload: unknown = {}) => ({
    eventType,
    channels,
    payload,
  });

  it('needs the event type to match and, when the endpoint names channels, one shared channel', () => {
    const all = { eventTypes: null, channels: null, filter: null };
    expect(isSubscribed(all, message('invoice.paid', null))).toBe(true);
    expect(isSubscribed(all, message('invoice.paid', ['eu']))).toBe(true);
    const eu = { eventTypes: ['invoice.*'], channels: ['eu'], filter: null };
    expect(isSubscribed(eu, message('invoice.paid', ['us', 'eu']))).toBe(true);
    expect(isSubscribed(eu, message('invoice.paid', ['us']))).toBe(false);
    expect(isSubscribed(eu, message('invoice.paid', null))).toBe(false);
    expect(isSubscribed(eu, message('user.created', ['eu']))).toBe(false);
  });

  it('needs the payload filter to pass as well', () => {
    const big = subscriptionOf({
      id: 'ep_1',
      event_types: '["invoice.*"]',
      channels: null,
      filter: '{"data.amount":{"$gte":100}}',
    });
    expect(isSubscribed(big, message('invoice.paid', null, { data: { amount: 150 } }))).toBe(true);
    expect(isSubscribed(big, message('invoice.paid', null, { data: { amount: 50 } }))).toBe(false);
    expect(isSubscribed(big, message('user.created', null, { data: { amount: 150 } }))).toBe(false);
  });
});
