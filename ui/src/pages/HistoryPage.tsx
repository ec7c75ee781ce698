import { useEffect, useReducer, useState } from 'react';
import { Link, useSearch } from 'wouter';
import { navigate } from 'wouter/use-browser-location';
import { ApiError } from '../api/errors.js';
import type { ListResponse, MessageAttemptOut, MessageOut } from '../api/types.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { Pager } from '../components/Pager.js';
import { Badge, Empty, ErrorNote, Loading, PageHeader, Time } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { DELIVERY_LABELS, deliveryBreakdown, deliveryTone } from '../lib/delivery-status.js';
import {
  activeFilterCount,
  filtersFromSearch,
  filtersToSearch,
  type HistoryFilters,
  historyRequest,
} from '../lib/filters.js';
import { canLiveRefresh, currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { type QueryValue, seg } from '../lib/query.js';
import { AttemptRow } from './AttemptRow.js';
import { FilterBar } from './HistoryFilterBar.js';

const PAGE_SIZE = 25;
const LIVE_MS = 5000;

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

  /** One message by id or eventId, as a one-row page; none found is an empty page. */
  const searchMessage = async (path: string, query: Record<string, QueryValue>, signal: AbortSignal) => {
    const found = await api.get<MessageOut>(path, query, signal).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    });
    const result: ListResponse<MessageOut> = {
      data: found ? [found] : [],
      iterator: null,
      prevIterator: null,
      done: true,
    };
    return { kind: 'messages' as const, result };
  };

  const planned = historyRequest(appId, filters, Date.now(), { iterator, limit: PAGE_SIZE });
  const page = useQuery(
    planned.error ? null : `history:${appId}:${filterKey}:${iterator}`,
    (signal) => {
      const request = historyRequest(appId, filters, Date.now(), { iterator, limit: PAGE_SIZE });
      if (request.error) throw new Error(request.error.message);
      if (request.kind === 'message') return searchMessage(request.path, request.query, signal);
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
          {filters.search
            ? 'No message has this id or eventId.'
            : activeFilterCount(filters) > (endpointId ? 1 : 0)
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

function MessageTable({ messages, href }: { messages: MessageOut[]; href(path: string): string }) {
  return (
    <DataTable caption="Messages" columns={['Status', 'Event type', 'Message', 'Tags', 'Sent']}>
      {messages.map((m) => (
        <tr key={m.id}>
          <td data-label="Status">
            <DeliveryBadge message={m} />
          </td>
          <td data-label="Event type" className="mono">
            {m.eventType}
          </td>
          <td data-label="Message">
            <Link href={href(`/messages/${seg(m.id)}`)} className="mono">
              {m.eventId ?? m.id}
            </Link>
          </td>
          <td data-label="Tags">{m.tags?.join(', ') || <span className="muted">—</span>}</td>
          <td data-label="Sent">
            <Time iso={m.timestamp} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The message's deliveries across endpoints: the most urgent state, and how many are in each. */
function DeliveryBadge({ message }: { message: MessageOut }) {
  if (message.deliveryStatus === undefined) return <span className="muted">—</span>;
  const breakdown = deliveryBreakdown(message);
  return (
    <span className="delivery-status">
      <Badge tone={deliveryTone(message.deliveryStatus)}>
        {message.deliveryStatus ? DELIVERY_LABELS[message.deliveryStatus] : 'Not sent'}
      </Badge>
      {breakdown ? <span className="muted small">{breakdown}</span> : null}
    </span>
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
