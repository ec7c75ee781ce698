import type { ApiClient } from '../api/client.js';
import type { EventTypeOut, ListResponse } from '../api/types.js';
import { useSession } from '../app/session.js';
import { useQuery } from './useQuery.js';

/** Pages read at most when a picker needs the whole catalog at once (250 each). */
const MAX_PAGES = 8;

async function loadCatalog(api: ApiClient, withContent: boolean, signal: AbortSignal) {
  const all: EventTypeOut[] = [];
  let iterator: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result: ListResponse<EventTypeOut> = await api.get<ListResponse<EventTypeOut>>(
      '/api/v1/event-type',
      { limit: 250, iterator, with_content: withContent },
      signal,
    );
    all.push(...result.data);
    if (result.done || !result.iterator) return { eventTypes: all, truncated: false };
    iterator = result.iterator;
  }
  return { eventTypes: all, truncated: true };
}

/**
 * The event catalog for pickers (endpoint form, test delivery): every event type that is not
 * archived, with schemas when `withContent`.
 */
export function useCatalog(withContent: boolean) {
  const { api } = useSession();
  return useQuery(`catalog:${withContent}`, (signal) => loadCatalog(api, withContent, signal));
}

/** Examples the server generates for each event type, from its OpenAPI webhooks document. */
export function useCatalogExamples() {
  const { api } = useSession();
  return useQuery('catalog-examples', async (signal) => {
    const doc = await api.get<{ webhooks?: Record<string, { post?: Record<string, unknown> }> }>(
      '/api/v1/event-type/openapi.json',
      undefined,
      signal,
    );
    const examples: Record<string, Record<string, unknown>> = {};
    for (const [name, hook] of Object.entries(doc.webhooks ?? {})) {
      const body = hook.post?.requestBody as { content?: Record<string, { example?: unknown }> } | undefined;
      const example = body?.content?.['application/json']?.example;
      if (example && typeof example === 'object' && !Array.isArray(example))
        examples[name] = example as Record<string, unknown>;
    }
    return examples;
  });
}

/** The event types whose name or description contains `filter`, ignoring case; all when it is blank. */
export function filterEventTypes<T extends { name: string; description: string }>(
  types: T[],
  filter: string,
): T[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) return types;
  return types.filter(
    (t) => t.name.toLowerCase().includes(needle) || t.description.toLowerCase().includes(needle),
  );
}
