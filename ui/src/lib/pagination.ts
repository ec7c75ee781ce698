/**
 * Cursor pagination over Svix-style lists. The server hands out an `iterator` for the next page;
 * going back means returning to a cursor seen before, so the UI keeps the stack of cursors it
 * followed. Pure state, driven by a reducer, so it is tested without React.
 */

export interface CursorState {
  /** Cursors of the pages opened so far; the last one is the current page (`null` = first page). */
  stack: Array<string | null>;
}

export type CursorAction =
  | { type: 'next'; iterator: string | null }
  | { type: 'previous' }
  | { type: 'first' };

export const FIRST_PAGE: CursorState = { stack: [null] };

/** The next cursor state; `next` without an iterator (the last page) changes nothing. */
export function cursorReducer(state: CursorState, action: CursorAction): CursorState {
  switch (action.type) {
    case 'next':
      if (!action.iterator) return state;
      return { stack: [...state.stack, action.iterator] };
    case 'previous':
      return state.stack.length > 1 ? { stack: state.stack.slice(0, -1) } : state;
    case 'first':
      return state.stack.length === 1 && state.stack[0] === null ? state : FIRST_PAGE;
  }
}

/** The cursor to ask the server for. */
export function currentCursor(state: CursorState): string | null {
  return state.stack[state.stack.length - 1] ?? null;
}

/** 1-based number of the page shown. */
export function pageNumber(state: CursorState): number {
  return state.stack.length;
}

/** What the pager offers for a page the server answered with `done` and `iterator`. */
export function pagerControls(
  state: CursorState,
  page: { done: boolean; iterator: string | null } | null,
): { hasPrevious: boolean; hasNext: boolean; page: number } {
  return {
    hasPrevious: state.stack.length > 1,
    hasNext: page !== null && !page.done && page.iterator !== null,
    page: pageNumber(state),
  };
}

/**
 * Live refresh only re-reads the first page: newer items appear at its top, while a later page
 * would shift under the reader as new items push older ones down.
 */
export function canLiveRefresh(state: CursorState): boolean {
  return currentCursor(state) === null;
}
