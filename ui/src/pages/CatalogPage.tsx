import { useMemo, useReducer, useState } from 'react';
import type { EventTypeOut, ListResponse } from '../api/types.js';
import { useSession } from '../app/session.js';
import { Pager } from '../components/Pager.js';
import { SearchInput } from '../components/SearchInput.js';
import {
  Badge,
  CodeBlock,
  CopyButton,
  Empty,
  ErrorNote,
  Field,
  Loading,
  PageHeader,
} from '../components/ui.js';
import { filterEventTypes, useCatalogExamples } from '../hooks/useCatalog.js';
import { useQuery } from '../hooks/useQuery.js';
import { latestSchema, schemaExample } from '../lib/json-check.js';
import { currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { receiverSnippet, SNIPPET_LABELS, SNIPPET_LANGUAGES, type SnippetLanguage } from '../lib/snippets.js';

const PAGE_SIZE = 50;

/** The event catalog: every event type with its description, schema, example and a receiver snippet. */
export function CatalogPage() {
  const { api } = useSession();
  const [cursor, dispatch] = useReducer(cursorReducer, FIRST_PAGE);
  const [filter, setFilter] = useState('');
  const iterator = currentCursor(cursor);
  const page = useQuery(`catalog-page:${iterator}`, (signal) =>
    api.get<ListResponse<EventTypeOut>>(
      '/api/v1/event-type',
      { limit: PAGE_SIZE, iterator, with_content: true },
      signal,
    ),
  );
  const examples = useCatalogExamples();
  const shown = useMemo(() => filterEventTypes(page.data?.data ?? [], filter), [page.data, filter]);

  return (
    <>
      <PageHeader
        title="Event catalog"
        subtitle="The events you can receive, with the shape of each payload and code that checks a webhook is genuine."
      />
      <div className="toolbar">
        <SearchInput
          id="catalog-filter"
          label="Filter event types"
          placeholder="Filter by name or description"
          value={filter}
          onChange={setFilter}
        />
      </div>
      {page.error ? <ErrorNote error={page.error} /> : null}
      {!page.data && !page.error ? <Loading /> : null}
      {page.data && shown.length === 0 ? (
        <Empty>{filter ? 'No event type on this page matches.' : 'The catalog is empty.'}</Empty>
      ) : null}
      <ul className="catalog">
        {shown.map((t) => (
          <li key={t.name}>
            <EventTypeEntry eventType={t} example={examples.data?.[t.name] ?? null} />
          </li>
        ))}
      </ul>
      <Pager state={cursor} page={page.data} dispatch={dispatch} label="Event types" />
    </>
  );
}

function EventTypeEntry({
  eventType,
  example,
}: {
  eventType: EventTypeOut;
  example: Record<string, unknown> | null;
}) {
  const [language, setLanguage] = useState<SnippetLanguage>('node-herald');
  const schema = latestSchema(eventType.schemas);
  const shownExample = example ?? schemaExample(schema);
  const snippet = receiverSnippet(language, eventType.name);
  return (
    <details className="card event-type">
      <summary>
        <span className="mono event-name">{eventType.name}</span>
        {eventType.deprecated ? <Badge tone="warn">Deprecated</Badge> : null}
        {eventType.groupName ? <Badge tone="info">{eventType.groupName}</Badge> : null}
        <span className="muted event-description">{eventType.description}</span>
      </summary>
      <div className="grid grid-wide">
        <section>
          <h3>Schema</h3>
          {schema ? (
            <CodeBlock text={JSON.stringify(schema, null, 2)} label={`Schema of ${eventType.name}`} />
          ) : (
            <p className="muted">No schema: any JSON object.</p>
          )}
        </section>
        <section>
          <h3>Example payload</h3>
          {shownExample ? (
            <CodeBlock text={JSON.stringify(shownExample, null, 2)} label={`Example of ${eventType.name}`} />
          ) : (
            <p className="muted">No example.</p>
          )}
        </section>
      </div>
      <section>
        <h3>Receive it</h3>
        <div className="toolbar">
          <Field label="Language">
            {(props) => (
              <select
                {...props}
                value={language}
                onChange={(e) => setLanguage(e.target.value as SnippetLanguage)}
              >
                {SNIPPET_LANGUAGES.map((l) => (
                  <option key={l} value={l}>
                    {SNIPPET_LABELS[l]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <CopyButton text={snippet} label="Copy code" />
        </div>
        <CodeBlock text={snippet} label={`Receiver code, ${SNIPPET_LABELS[language]}`} />
      </section>
    </details>
  );
}
