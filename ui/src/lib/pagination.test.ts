import { describe, expect, it } from 'vitest';
import { canLiveRefresh, currentCursor, cursorReducer, FIRST_PAGE, pagerControls } from './pagination.js';

describe('cursor pagination', () => {
  it('follows next cursors and comes back the same way', () => {
    let state = cursorReducer(FIRST_PAGE, { type: 'next', iterator: 'c1' });
    state = cursorReducer(state, { type: 'next', iterator: 'c2' });
    expect(currentCursor(state)).toBe('c2');
    expect(pagerControls(state, { done: false, iterator: 'c3' })).toEqual({
      hasPrevious: true,
      hasNext: true,
      page: 3,
    });
    state = cursorReducer(state, { type: 'previous' });
    expect(currentCursor(state)).toBe('c1');
    state = cursorReducer(state, { type: 'previous' });
    expect(currentCursor(state)).toBeNull();
    expect(cursorReducer(state, { type: 'previous' })).toBe(state);
  });

  it('offers no next page once the server says it is done', () => {
    expect(pagerControls(FIRST_PAGE, { done: true, iterator: 'c9' })).toEqual({
      hasPrevious: false,
      hasNext: false,
      page: 1,
    });
    expect(cursorReducer(FIRST_PAGE, { type: 'next', iterator: null })).toBe(FIRST_PAGE);
  });

  it('goes back to the first page when the filters change', () => {
    const deep = cursorReducer(FIRST_PAGE, { type: 'next', iterator: 'c1' });
    expect(cursorReducer(deep, { type: 'first' })).toEqual(FIRST_PAGE);
    expect(cursorReducer(FIRST_PAGE, { type: 'first' })).toBe(FIRST_PAGE);
  });

  it('refreshes live only on the first page, where new items appear', () => {
    expect(canLiveRefresh(FIRST_PAGE)).toBe(true);
    expect(canLiveRefresh(cursorReducer(FIRST_PAGE, { type: 'next', iterator: 'c1' }))).toBe(false);
  });
});
