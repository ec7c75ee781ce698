import { describe, expect, it } from 'vitest';
import { filterText, readFilterDraft } from './filter-draft.js';

describe('the filter field of the endpoint form', () => {
  it('reads an empty field as no filter', () => {
    expect(readFilterDraft('  \n')).toEqual({ kind: 'none' });
  });

  it('reads a JSON object as the filter to send', () => {
    expect(readFilterDraft('{"data.amount": {"$gte": 5}}')).toEqual({
      kind: 'ok',
      value: { 'data.amount': { $gte: 5 } },
    });
  });

  it('says where JSON breaks, and that a filter is an object', () => {
    const broken = readFilterDraft('{\n  "a": 1\n  "b": 2\n}');
    expect(broken.kind).toBe('invalid');
    expect(broken.kind === 'invalid' && broken.message).toMatch(/line 3, column 3/);
    expect(readFilterDraft('["a"]')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('object'),
    });
  });

  it('shows a stored filter indented, and none as an empty field', () => {
    expect(filterText({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(filterText(null)).toBe('');
  });
});
