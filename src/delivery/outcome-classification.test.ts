import { describe, expect, it } from 'vitest';
import { AttemptDeadline, classifyError, classifyStatus, parseRetryAfter } from './outcome-classification.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['0', 0],
    ['30', 30_000],
    [' 7 ', 7_000],
    ['Wed, 01 Jan 2025 00:02:00 GMT', 120_000],
    ['Wednesday, 01-Jan-25 00:01:00 GMT', 60_000],
    ['Wed Jan  1 00:00:30 2025', 30_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
  ])('reads %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([undefined, '', '1.5', '-1', 'soon', '2025-01-01T00:02:00Z', 'Foo, 01 Jan 2025 00:02:00 GMT'])(
    'ignores the malformed value %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeNull();
    },
  );
});

describe('classifyStatus', () => {
  it('names each status range, and a 2xx has no error', () => {
    expect(classifyStatus(204)).toEqual({ errorClass: null, message: null });
    expect(classifyStatus(302)).toEqual({
      errorClass: 'http_3xx',
      message: 'HTTP 302 Found (redirects are not followed)',
    });
    expect(classifyStatus(410)).toEqual({ errorClass: 'http_4xx', message: 'HTTP 410 Gone' });
    expect(classifyStatus(503)).toEqual({ errorClass: 'http_5xx', message: 'HTTP 503 Service Unavailable' });
    expect(classifyStatus(799)).toEqual({
      errorClass: 'invalid_response',
      message: 'invalid HTTP status 799',
    });
  });
});

describe('classifyError', () => {
  it('maps network error codes and our own deadline to error classes', () => {
    const coded = (code: string) => Object.assign(new Error(`x ${code}`), { code });
    expect(classifyError(coded('ENOTFOUND'), 'a.test', 1000).errorClass).toBe('dns');
    expect(classifyError(coded('ECONNREFUSED'), 'a.test', 1000).errorClass).toBe('connect');
    expect(classifyError(coded('ECONNRESET'), 'a.test', 1000).errorClass).toBe('connection_reset');
    expect(classifyError(new AttemptDeadline(), 'a.test', 1000)).toEqual({
      errorClass: 'timeout',
      message: 'no response from a.test within 1000 ms',
    });
    expect(classifyError(new AggregateError([coded('EHOSTUNREACH')]), 'a.test', 1000).errorClass).toBe(
      'connect',
    );
  });
});
