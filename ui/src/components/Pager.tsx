import { type CursorAction, type CursorState, pagerControls } from '../lib/pagination.js';

/** Previous / next buttons for a cursor-paged list, with the page number announced. */
export function Pager({
  state,
  page,
  dispatch,
  label,
}: {
  state: CursorState;
  page: { done: boolean; iterator: string | null } | null;
  dispatch: (action: CursorAction) => void;
  label: string;
}) {
  const controls = pagerControls(state, page);
  if (!controls.hasPrevious && !controls.hasNext) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button
        type="button"
        className="button"
        disabled={!controls.hasPrevious}
        onClick={() => dispatch({ type: 'previous' })}
      >
        ← Previous
      </button>
      <span aria-live="polite">Page {controls.page}</span>
      <button
        type="button"
        className="button"
        disabled={!controls.hasNext}
        onClick={() => dispatch({ type: 'next', iterator: page?.iterator ?? null })}
      >
        Next →
      </button>
    </nav>
  );
}
