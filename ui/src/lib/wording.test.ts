import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import {
  duration,
  endpointHealth,
  errorClassLabel,
  percent,
  prettyBody,
  relativeTime,
  successRatio,
} from './format.js';
import { oldestDueAge, overviewSeries, overviewTotals } from './overview.js';
import { RECOVER_MAX_MS, recoverCountText, recoverSince } from './recover.js';
import { receiverSnippet, SNIPPET_LANGUAGES } from './snippets.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describe('API errors in plain words', () => {
  it('names each invalid field of a 422 without its location prefix, and says its name once', () => {
    const error = new ApiError(422, {
      detail: [
        { loc: ['body', 'url'], msg: 'url: must be a valid URL', type: 'value_error' },
        { loc: ['body', 'headers', 'X-A'], msg: 'is too long', type: 'value_error' },
      ],
    });
    expect(error.issueFor('url')).toBe('must be a valid URL');
    expect(error.issueFor('headers')).toBe('is too long');
    expect(error.issueFor('description')).toBeUndefined();
    expect(error.message).toBe('Please fix: url must be a valid URL; headers.X-A is too long.');
  });

  it('tells an expired session, a missing feature, a conflict and a server fault apart', () => {
    expect(new ApiError(401, { code: 'authentication_failed', detail: 'Invalid token' }).message).toMatch(
      /Sign in again/,
    );
    const missing = new ApiError(404, {
      code: 'not_found',
      detail: 'No route for GET /api/v1/stats/overview',
    });
    expect(missing.missingRoute).toBe(true);
    expect(missing.message).toBe('This Herald server does not offer this feature yet.');
    const gone = new ApiError(404, { code: 'not_found', detail: 'Endpoint not found.' });
    expect(gone.missingRoute).toBe(false);
    expect(gone.message).toBe('Not found: endpoint not found.');
    expect(
      new ApiError(409, { code: 'conflict', detail: 'An application with this uid already exists.' }).message,
    ).toBe('An application with this uid already exists.');
    expect(new ApiError(500, { code: 'internal_error', detail: 'x' }, 'req_42').message).toMatch(
      /request req_42/,
    );
    expect(new ApiError(0, null).message).toMatch(/could not be reached/);
  });
});

describe('figures on screen', () => {
  it('prefers the last day success ratio Herald reports over the lifetime counts', () => {
    const counts = { success: 9, fail: 1, pending: 0, sending: 0, canceled: 0 };
    expect(successRatio(counts)).toBe(0.9);
    expect(
      successRatio({
        ...counts,
        lastDay: { attempts: 4, successRatio: 0.5, latencyMs: { p50: 1, p95: 1, p99: 1 } },
      }),
    ).toBe(0.5);
    expect(successRatio({ ...counts, success: 0, fail: 0 })).toBeNull();
  });

  it('grades endpoint health', () => {
    expect(endpointHealth(true, 1).label).toBe('Disabled');
    expect(endpointHealth(false, null).label).toBe('No deliveries yet');
    expect(endpointHealth(false, 0.99).tone).toBe('good');
    expect(endpointHealth(false, 0.7).tone).toBe('warn');
    expect(endpointHealth(false, 0.1).tone).toBe('bad');
  });

  it('writes times, durations and ratios briefly', () => {
    expect(relativeTime('2026-03-01T11:57:00.000Z', NOW)).toBe('3 min ago');
    expect(relativeTime('2026-03-01T14:00:00.000Z', NOW)).toBe('in 2 h');
    expect(relativeTime('2026-03-01T11:59:50.000Z', NOW)).toBe('just now');
    expect(relativeTime(null, NOW)).toBe('—');
    expect(duration(850)).toBe('850 ms');
    expect(duration(2400)).toBe('2.4 s');
    expect(duration(65_000)).toBe('1 min 5 s');
    expect(percent(0.987)).toBe('98.7 %');
    expect(percent(1)).toBe('100 %');
    expect(percent(null)).toBe('—');
  });

  it('explains error classes and pretty-prints JSON bodies only', () => {
    expect(errorClassLabel('timeout')).toBe('The endpoint did not answer in time');
    expect(errorClassLabel('something_new')).toBe('something new');
    expect(errorClassLabel(null)).toBeNull();
    expect(prettyBody('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyBody('plain')).toEqual({ text: 'plain', json: false });
  });
});

describe('the overview', () => {
  const overview = {
    bucketSeconds: 900,
    buckets: [
      { start: '2026-03-01T11:15:00.000Z', succeeded: 0, failed: 0 },
      { start: '2026-03-01T11:00:00.000Z', succeeded: 27, failed: 3 },
    ],
  };

  it('charts deliveries per minute and the failure ratio, with gaps where nothing was sent', () => {
    expect(overviewSeries(overview)).toEqual({
      x: [Date.parse('2026-03-01T11:00:00.000Z') / 1000, Date.parse('2026-03-01T11:15:00.000Z') / 1000],
      perMinute: [2, 0],
      failureRatio: [0.1, null],
    });
    expect(overviewTotals(overview)).toEqual({ attempts: 30, failed: 3, failureRatio: 0.1 });
  });

  it('raises the alarm as the oldest due delivery waits longer', () => {
    expect(oldestDueAge(null, NOW)).toEqual({ seconds: 0, tone: 'good' });
    expect(oldestDueAge('2026-03-01T11:59:30.000Z', NOW).tone).toBe('good');
    expect(oldestDueAge('2026-03-01T11:55:00.000Z', NOW)).toEqual({ seconds: 300, tone: 'warn' });
    expect(oldestDueAge('2026-03-01T11:00:00.000Z', NOW).tone).toBe('bad');
  });
});

describe('recovering failures', () => {
  it('turns a preset into a start time', () => {
    expect(recoverSince('6h', '', NOW)).toEqual({ since: '2026-03-01T06:00:00.000Z' });
  });

  it('refuses a custom start that is missing, in the future or too far back', () => {
    expect(recoverSince('custom', '', NOW).error).toMatch(/Choose/);
    expect(recoverSince('custom', 'soon', NOW).error).toMatch(/not a valid/);
    expect(recoverSince('custom', new Date(NOW + 60_000).toISOString(), NOW).error).toMatch(/future/);
    expect(recoverSince('custom', new Date(NOW - RECOVER_MAX_MS - 1).toISOString(), NOW).error).toMatch(
      /14 days/,
    );
    expect(recoverSince('custom', '2026-03-01T10:00:00.000Z', NOW)).toEqual({
      since: '2026-03-01T10:00:00.000Z',
    });
  });

  it('says how many messages will be sent again', () => {
    expect(recoverCountText(0, false)).toBe('no failed messages');
    expect(recoverCountText(1, false)).toBe('1 failed message');
    expect(recoverCountText(1000, true)).toBe('more than 1,000 failed messages');
  });
});

describe('receiver snippets', () => {
  it('verify the signature before reading the event, in every language offered', () => {
    for (const language of SNIPPET_LANGUAGES) {
      const code = receiverSnippet(language, 'invoice.paid');
      expect(code).toContain('WEBHOOK_SECRET');
      expect(code).toMatch(/verify/i);
      expect(code).toContain('for invoice.paid');
    }
  });
});
