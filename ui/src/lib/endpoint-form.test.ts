import { describe, expect, it } from 'vitest';
import {
  EMPTY_ENDPOINT_FORM,
  endpointCreateBody,
  endpointPatchBody,
  formFromEndpoint,
  headersPatchBody,
  parseChannels,
  validateEndpointForm,
} from './endpoint-form.js';

const VALID = { ...EMPTY_ENDPOINT_FORM, url: 'https://example.com/hooks' };

describe('endpoint form checks', () => {
  it('accepts a URL alone', () => {
    expect(validateEndpointForm(VALID)).toEqual({});
  });

  it('asks for a complete http(s) URL', () => {
    expect(validateEndpointForm({ ...VALID, url: '' }).url).toMatch(/Enter the URL/);
    expect(validateEndpointForm({ ...VALID, url: 'example.com/hooks' }).url).toMatch(/not a complete URL/);
    expect(validateEndpointForm({ ...VALID, url: 'ftp://example.com' }).url).toMatch(/https:\/\//);
  });

  it('checks channels the way the API does', () => {
    expect(parseChannels(' eu, us  apac ')).toEqual(['eu', 'us', 'apac']);
    expect(validateEndpointForm({ ...VALID, channels: 'eu, us' }).channels).toBeUndefined();
    expect(validateEndpointForm({ ...VALID, channels: 'eu, b@d' }).channels).toMatch(
      /"b@d" is not a valid channel/,
    );
    expect(validateEndpointForm({ ...VALID, channels: 'eu eu' }).channels).toMatch(/twice/);
    const eleven = Array.from({ length: 11 }, (_, i) => `c${i}`).join(',');
    expect(validateEndpointForm({ ...VALID, channels: eleven }).channels).toMatch(/at most 10/);
  });

  it('takes a whole-number rate limit from 1 to 65535, or none', () => {
    expect(validateEndpointForm({ ...VALID, rateLimit: '' }).rateLimit).toBeUndefined();
    expect(validateEndpointForm({ ...VALID, rateLimit: '50' }).rateLimit).toBeUndefined();
    for (const bad of ['0', '2.5', '-1', '70000', 'ten'])
      expect(validateEndpointForm({ ...VALID, rateLimit: bad }).rateLimit).toMatch(/whole number/);
  });

  it('takes a FIFO batch size from 1 to 100', () => {
    expect(validateEndpointForm({ ...VALID, fifoBatchSize: '50' }).fifoBatchSize).toBeUndefined();
    for (const bad of ['0', '101', '', 'ten'])
      expect(validateEndpointForm({ ...VALID, fifoBatchSize: bad }).fifoBatchSize).toMatch(/1 to 100/);
  });

  it('refuses headers that are malformed, duplicated, empty or set by Herald itself', () => {
    const check = (headers: Array<{ name: string; value: string; sensitive?: boolean }>) =>
      validateEndpointForm({ ...VALID, headers }).headers;
    expect(check([{ name: 'X-Team', value: 'billing' }])).toBeUndefined();
    expect(check([{ name: '', value: '' }])).toBeUndefined();
    expect(check([{ name: 'Bad Name', value: 'x' }])).toMatch(/not a valid header name/);
    expect(check([{ name: 'webhook-signature', value: 'x' }])).toMatch(/set by Herald/);
    expect(check([{ name: 'Content-Type', value: 'x' }])).toMatch(/set by Herald/);
    expect(
      check([
        { name: 'X-A', value: '1' },
        { name: 'x-a', value: '2' },
      ]),
    ).toMatch(/twice/);
    expect(check([{ name: 'X-A', value: '' }])).toMatch(/needs a value/);
    // A stored credential shown without its value may stay empty: it keeps the stored one.
    expect(check([{ name: 'Authorization', value: '', sensitive: true }])).toBeUndefined();
  });
});

describe('endpoint request bodies', () => {
  it('creates with the chosen filters and headers, null meaning "all"', () => {
    expect(
      endpointCreateBody({
        url: ' https://example.com/h ',
        description: 'main',
        eventTypes: ['invoice.paid'],
        channels: 'eu, us',
        rateLimit: '20',
        headers: [
          { name: 'X-Team', value: 'billing' },
          { name: '', value: '' },
        ],
        filter: '{"data.amount": {"$gte": 100}}',
        ordering: 'fifo',
        fifoOnExhausted: 'skip',
        fifoBatchSize: '10',
      }),
    ).toEqual({
      url: 'https://example.com/h',
      description: 'main',
      eventTypes: ['invoice.paid'],
      channels: ['eu', 'us'],
      throttleRate: 20,
      filter: { 'data.amount': { $gte: 100 } },
      ordering: 'fifo',
      fifoOnExhausted: 'skip',
      fifoBatchSize: 10,
      headers: { 'X-Team': 'billing' },
    });
    expect(endpointCreateBody(VALID)).toEqual({
      url: 'https://example.com/hooks',
      description: '',
      eventTypes: null,
      channels: null,
      throttleRate: null,
      filter: null,
      ordering: 'none',
      fifoOnExhausted: 'block',
      fifoBatchSize: 1,
    });
  });

  it('patches every field, clearing filters and limits with null, and leaves headers to their own call', () => {
    const body = endpointPatchBody({ ...VALID, headers: [{ name: 'X-A', value: '1' }] });
    expect(body).toEqual({
      url: 'https://example.com/hooks',
      description: '',
      eventTypes: null,
      channels: null,
      throttleRate: null,
      filter: null,
      ordering: 'none',
      fifoOnExhausted: 'block',
      fifoBatchSize: 1,
    });
  });

  it('patches headers: sets changed ones, deletes dropped ones, keeps a blank credential', () => {
    const stored = {
      headers: { 'X-Team': 'billing', 'X-Old': 'gone' },
      sensitive: ['Authorization', 'X-Api-Key'],
    };
    expect(
      headersPatchBody(stored, [
        { name: 'X-Team', value: 'payments' },
        { name: 'Authorization', value: '', sensitive: true },
        { name: 'X-New', value: 'hello' },
      ]),
    ).toEqual({ headers: { 'X-Team': 'payments', 'X-New': 'hello' }, deleteHeaders: ['X-Old', 'X-Api-Key'] });
    expect(
      headersPatchBody(stored, [
        { name: 'X-Team', value: 'billing' },
        { name: 'X-Old', value: 'gone' },
        { name: 'Authorization', value: '', sensitive: true },
        { name: 'X-Api-Key', value: '', sensitive: true },
      ]),
    ).toBeNull();
  });

  it('fills the form from an endpoint in either SDK spelling', () => {
    const form = formFromEndpoint(
      {
        url: 'https://e.x/h',
        description: 'd',
        filterTypes: ['a.b'],
        channels: ['eu', 'us'],
        rateLimit: 5,
        filter: { 'data.x': 1 },
      },
      { headers: { 'X-Team': 'billing' }, sensitive: ['Authorization'] },
    );
    expect(form).toEqual({
      url: 'https://e.x/h',
      description: 'd',
      eventTypes: ['a.b'],
      channels: 'eu, us',
      rateLimit: '5',
      filter: '{\n  "data.x": 1\n}',
      ordering: 'none',
      fifoOnExhausted: 'block',
      fifoBatchSize: '1',
      headers: [
        { name: 'X-Team', value: 'billing' },
        { name: 'Authorization', value: '', sensitive: true },
      ],
    });
  });
});
