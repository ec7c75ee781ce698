import { type FormEvent, useEffect, useReducer, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { navigate } from 'wouter/use-browser-location';
import type { EndpointOut, ListResponse, MessageAttemptOut, MessageOut } from '../api/types.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { Pager } from '../components/Pager.js';
import { Empty, ErrorNote, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { useCatalog } from '../hooks/useCatalog.js';
import { useQuery } from '../hooks/useQuery.js';
import {
  activeFilterCount,
  filtersFromSearch,
  filtersToSearch,
  type HistoryFilters,
  historyRequest,
  NO_FILTERS,
  type StatusFilter,
  type TimeRange,
} from '../lib/filters.js';
import { canLiveRefresh, currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { seg } from '../lib/query.js';
import { AttemptRow } from './AttemptRow.js';

const PAGE_SIZE = 25;
const LIVE_MS = 5000;

const STATUS_OPTIONS: Array<[StatusFilter, string]> = [
  ['', 'Any status'],
  ['0', 'Succeeded'],
  ['2', 'Failed'],
  ['1', 'Pending'],
  ['3', 'Sending'],
];
const RANGE_OPTIONS: Array<[TimeRange, string]> = [
  ['any', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['custom', 'Between…'],
];

/**
 * Delivery history: messages, or one endpoint's attempts, with filters kept in the address
 * (shareable, survive a reload), cursor pages and live refresh of the newest page.
 */
export function HistoryPage({ endpointId }: { endpointId?: string }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const appHref = useAppHref();
  const search = useSearch();
  const filters: HistoryFilters = { ...filtersFromSearch(search), ...(endpointId ? { endpointId } : {}) };
  const filterKey = filtersToSearch(filters);
  const [cursor, dispatch] = useReducer(cursorReducer, FIRST_PAGE);
  const [live, setLive] = useState(false);
  const iterator = currentCursor(cursor);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start from the first page
  useEffect(() => dispatch({ type: 'first' }), [filterKey]);

  const setFilters = (next: HistoryFilters) => {
    const query = filtersToSearch(endpointId ? { ...next, endpointId: '' } : next);
    navigate(`${window.location.pathname}${query}`, { replace: true });
  };

  const planned = historyRequest(appId, filters, Date.now(), { iterator, limit: PAGE_SIZE });
  const page = useQuery(
    planned.error ? null : `history:${appId}:${filterKey}:${iterator}`,
    (signal) => {
      const request = historyRequest(appId, filters, Date.now(), { iterator, limit: PAGE_SIZE });
      if (request.error) throw new Error(request.error.message);
      return api
        .get<ListResponse<MessageOut | MessageAttemptOut>>(request.path, request.query, signal)
        .then((result) => ({ kind: request.kind, result }));
    },
    { refreshMs: live && canLiveRefresh(cursor) ? LIVE_MS : null },
  );

  return (
    <>
      {endpointId ? null : (
        <PageHeader
          title="History"
          subtitle="Every message sent to this application, and how each delivery went."
        />
      )}
      <FilterBar
        filters={filters}
        fixedEndpoint={Boolean(endpointId)}
        onChange={setFilters}
        error={planned.error}
      />
      <div className="toolbar toolbar-end">
        <label className="choice">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          Live refresh{live && !canLiveRefresh(cursor) ? ' (on the first page)' : ''}
        </label>
        <button type="button" className="button button-small" onClick={page.reload}>
          Refresh
        </button>
      </div>
      {page.error ? <ErrorNote error={page.error} /> : null}
      {!page.data && !page.error && !planned.error ? <Loading /> : null}
      {page.data && page.data.result.data.length === 0 ? (
        <Empty>
          {activeFilterCount(filters) > (endpointId ? 1 : 0)
            ? 'Nothing matches these filters.'
            : 'Nothing sent yet.'}
        </Empty>
      ) : null}
      {page.data && page.data.result.data.length > 0 ? (
        page.data.kind === 'attempts' ? (
          <AttemptTable attempts={page.data.result.data as MessageAttemptOut[]} href={appHref} />
        ) : (
          <MessageTable messages={page.data.result.data as MessageOut[]} href={appHref} />
        )
      ) : null}
      <Pager state={cursor} page={page.data?.result ?? null} dispatch={dispatch} label="History" />
    </>
  );
}

function FilterBar({
  filters,
  fixedEndpoint,
  onChange,
  error,
}: {
  filters: HistoryFilters;
  fixedEndpoint: boolean;
  onChange(next: HistoryFilters): void;
  error?: { field: keyof HistoryFilters; message: string };
}) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const catalog = useCatalog(false);
  const endpoints = useQuery(fixedEndpoint ? null : `endpoint-options:${appId}`, (signal) =>
    api.get<ListResponse<EndpointOut>>(`/api/v1/app/${seg(appId)}/endpoint`, { limit: 250 }, signal),
  );
  const [channel, setChannel] = useState(filters.channel);
  useEffect(() => setChannel(filters.channel), [filters.channel]);
  const set = (patch: Partial<HistoryFilters>) => onChange({ ...filters, ...patch });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set({ channel: channel.trim() });
  };
  const errorFor = (field: keyof HistoryFilters) => (error?.field === field ? error.message : undefined);
  const count = activeFilterCount(filters) - (fixedEndpoint ? 1 : 0);

  return (
    <form className="filters" aria-label="Filters" onSubmit={submit}>
      {fixedEndpoint ? null : (
        <Field label="Endpoint" error={errorFor('endpointId')}>
          {(props) => (
            <select
              {...props}
              value={filters.endpointId}
              onChange={(e) => set({ endpointId: e.target.value })}
            >
              <option value="">All endpoints (messages)</option>
              {endpoints.data?.data.map((ep) => (
                <option key={ep.id} value={ep.id}>
                  {ep.url}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Field
        label="Status"
        error={errorFor('status')}
        hint={filters.endpointId ? undefined : 'Choose an endpoint to filter by status.'}
      >
        {(props) => (
          <select
            {...props}
            value={filters.status}
            disabled={!filters.endpointId}
            onChange={(e) => set({ status: e.target.value as StatusFilter })}
          >
            {STATUS_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Event type">
        {(props) => (
          <select
            {...props}
            value={filters.eventTypes[0] ?? ''}
            onChange={(e) => set({ eventTypes: e.target.value ? [e.target.value] : [] })}
          >
            <option value="">Any event type</option>
            {catalog.data?.eventTypes.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Channel" error={errorFor('channel')}>
        {(props) => (
          <input
            {...props}
            className="mono"
            value={channel}
            placeholder="any"
            onChange={(e) => setChannel(e.target.value)}
            onBlur={() => channel.trim() !== filters.channel && set({ channel: channel.trim() })}
          />
        )}
      </Field>
      <Field label="Time" error={errorFor('range')}>
        {(props) => (
          <select
            {...props}
            value={filters.range}
            onChange={(e) => set({ range: e.target.value as TimeRange })}
          >
            {RANGE_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {filters.range === 'custom' ? (
        <>
          <Field label="From" error={errorFor('after')}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                value={filters.after}
                onChange={(e) => set({ after: e.target.value })}
              />
            )}
          </Field>
          <Field label="Until" error={errorFor('before')}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                value={filters.before}
                onChange={(e) => set({ before: e.target.value })}
              />
            )}
          </Field>
        </>
      ) : null}
      <div className="filters-actions">
        <button type="submit" className="visually-hidden">
          Apply filters
        </button>
        {count > 0 ? (
          <button
            type="button"
            className="button button-small"
            onClick={() => onChange({ ...NO_FILTERS, endpointId: fixedEndpoint ? filters.endpointId : '' })}
          >
            Clear filters ({count})
          </button>
        ) : null}
      </div>
    </form>
  );
}

function MessageTable({ messages, href }: { messages: MessageOut[]; href(path: string): string }) {
  return (
    <DataTable caption="Messages" columns={['Event type', 'Message', 'Channels', 'Sent']}>
      {messages.map((m) => (
        <tr key={m.id}>
          <td data-label="Event type" className="mono">
            {m.eventType}
          </td>
          <td data-label="Message">
            <Link href={href(`/messages/${seg(m.id)}`)} className="mono">
              {m.eventId ?? m.id}
            </Link>
          </td>
          <td data-label="Channels">{m.channels?.join(', ') || <span className="muted">—</span>}</td>
          <td data-label="Sent">
            <Time iso={m.timestamp} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function AttemptTable({ attempts, href }: { attempts: MessageAttemptOut[]; href(path: string): string }) {
  return (
    <DataTable caption="Attempts" columns={['Status', 'Event type', 'Response', 'Duration', 'When']}>
      {attempts.map((a) => (
        <AttemptRow key={a.id} attempt={a} href={href(`/messages/${seg(a.msgId)}/attempts/${seg(a.id)}`)}>
          <td data-label="Event type" className="mono">
            {a.msg?.eventType ?? '—'}
          </td>
        </AttemptRow>
      ))}
    </DataTable>
  );
}
