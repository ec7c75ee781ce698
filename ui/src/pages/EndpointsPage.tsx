import { useReducer } from 'react';
import { Link } from 'wouter';
import type { EndpointOut, EndpointStats, ListResponse, MessageAttemptOut } from '../api/types.js';
import { useAppScope, useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { Pager } from '../components/Pager.js';
import { Badge, Empty, ErrorNote, Loading, PageHeader, Time } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { endpointHealth, percent, successRatio } from '../lib/format.js';
import { currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { seg } from '../lib/query.js';

const PAGE_SIZE = 20;

/** The application's endpoints with their health at a glance. */
export function EndpointsPage() {
  const { api, face } = useSession();
  const { appId, appName } = useAppScope();
  const [cursor, dispatch] = useReducer(cursorReducer, FIRST_PAGE);
  const iterator = currentCursor(cursor);
  const endpoints = useQuery(`endpoints:${appId}:${iterator}`, (signal) =>
    api.get<ListResponse<EndpointOut>>(
      `/api/v1/app/${seg(appId)}/endpoint`,
      { limit: PAGE_SIZE, iterator, order: 'descending' },
      signal,
    ),
  );
  return (
    <>
      <PageHeader
        title={face === 'portal' ? 'Endpoints' : `${appName}: endpoints`}
        subtitle="The URLs that receive webhooks. Each request is signed with the endpoint's secret."
        actions={
          <Link href="/endpoints/new" className="button button-primary">
            Add endpoint
          </Link>
        }
      />
      {endpoints.error ? <ErrorNote error={endpoints.error} /> : null}
      {!endpoints.data && !endpoints.error ? <Loading /> : null}
      {endpoints.data && endpoints.data.data.length === 0 ? (
        <Empty>
          No endpoints yet. <Link href="/endpoints/new">Add one</Link> to start receiving webhooks.
        </Empty>
      ) : null}
      {endpoints.data && endpoints.data.data.length > 0 ? (
        <DataTable caption="Endpoints" columns={['Endpoint', 'Health', 'Last response', 'Events']}>
          {endpoints.data.data.map((endpoint) => (
            <EndpointRow key={endpoint.id} appId={appId} endpoint={endpoint} />
          ))}
        </DataTable>
      ) : null}
      <Pager state={cursor} page={endpoints.data} dispatch={dispatch} label="Endpoints" />
    </>
  );
}

function EndpointRow({ appId, endpoint }: { appId: string; endpoint: EndpointOut }) {
  const { api } = useSession();
  const base = `/api/v1/app/${seg(appId)}`;
  const stats = useQuery(`stats:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointStats>(`${base}/endpoint/${seg(endpoint.id)}/stats`, undefined, signal),
  );
  const last = useQuery(`last:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<ListResponse<MessageAttemptOut>>(
      `${base}/attempt/endpoint/${seg(endpoint.id)}`,
      { limit: 1, with_content: false },
      signal,
    ),
  );
  const ratio = successRatio(stats.data);
  const health = endpointHealth(endpoint.disabled, stats.error ? null : ratio);
  const lastAttempt = last.data?.data[0];
  const types = endpoint.eventTypes ?? endpoint.filterTypes ?? null;
  return (
    <tr>
      <td data-label="Endpoint">
        <Link href={`/endpoints/${seg(endpoint.id)}`} className="url">
          {endpoint.url}
        </Link>
        {endpoint.description ? <div className="muted">{endpoint.description}</div> : null}
        {endpoint.disabled ? (
          <div className="muted">Disabled{endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}</div>
        ) : null}
      </td>
      <td data-label="Health">
        <Badge tone={health.tone}>{health.label}</Badge>{' '}
        {ratio !== null ? <span title="Share of deliveries that succeeded">{percent(ratio)}</span> : null}
        {stats.data?.consecutiveFailures ? (
          <div className="muted">{stats.data.consecutiveFailures} failures in a row</div>
        ) : null}
      </td>
      <td data-label="Last response">
        {lastAttempt ? (
          <>
            <Badge tone={lastAttempt.status === 0 ? 'good' : lastAttempt.status === 2 ? 'bad' : 'warn'}>
              {lastAttempt.responseStatusCode || lastAttempt.errorClass || 'no response'}
            </Badge>{' '}
            <Time iso={lastAttempt.timestamp} />
          </>
        ) : (
          <span className="muted">{last.error?.missingRoute ? 'not available' : 'none yet'}</span>
        )}
      </td>
      <td data-label="Events">{types ? types.join(', ') : <span className="muted">All</span>}</td>
    </tr>
  );
}
