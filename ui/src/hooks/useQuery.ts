import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/errors.js';

export interface QueryState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Reads again, keeping the current data on screen meanwhile. */
  reload(): void;
}

/**
 * Loads `load()` whenever `key` changes (null = do not load), optionally again every
 * `refreshMs` while the tab is visible. A newer load cancels an older one, so a slow answer never
 * overwrites a fresher one.
 */
export function useQuery<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
  options: { refreshMs?: number | null } = {},
): QueryState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastKey = useRef<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the reload trigger
  useEffect(() => {
    if (key === null) {
      setLoading(false);
      return;
    }
    if (lastKey.current !== key) {
      // Another list or another record: do not show the previous one's data under the new title.
      setData(null);
      lastKey.current = key;
    }
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  useEffect(() => {
    if (!options.refreshMs || key === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setGeneration((g) => g + 1);
    }, options.refreshMs);
    return () => clearInterval(timer);
  }, [options.refreshMs, key]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

/** Runs one action (a save, a delete) and keeps its pending state and error for the button beside it. */
export function useAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
): { run(...args: A): Promise<R | undefined>; pending: boolean; error: ApiError | null; clear(): void } {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(null);
    try {
      return await actionRef.current(...args);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { run, pending, error, clear };
}
