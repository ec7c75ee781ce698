import { useReducer } from 'react';
import { Link } from 'wouter';
import type { ListResponse, MessageAttemptOut, MessageEndpointOut, MessageOut } from '../api/types.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { Pager } from '../components/Pager.js';
import { Badge, CodeBlock, Empty, ErrorNote, Loading, PageHeader, Time } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { absoluteTime, statusLabel, statusTone } from '../lib/format.js';
import { canLiveRefresh, currentCursor, cursorReducer, FIRST_PAGE } from '../lib/pagination.js';
import { seg } from '../lib/query.js';
import { AttemptRow } from './AttemptRow.js';
import { ResendButton } from './ResendButton.js';

/** One message: its payload, the endpoints it went to (with resend), and every attempt. */
export function MessagePage({ msgId }: { msgId: string }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const appHref = useAppHref();
  const base = `/api/v1/app/${seg(appId)}`;
  const message = useQuery(`msg:${msgId}`, (signal) =>
    api.get<MessageOut>(`${base}/msg/${seg(msgId)}`, undefined, signal),
  );
  const destinations = useQuery(
    `msg-endpoints:${msgId}`,
    (signal) =>
      api.get<ListResponse<MessageEndpointOut>>(`${base}/msg/${seg(msgId)}/endpoint`, { limit: 50 }, signal),
    { refreshMs: 5000 },
  );
  const [cursor, dispatch] = useReducer(cursorReducer, FIRST_PAGE);
  const iterator = currentCursor(cursor);
  const attempts = useQuery(
    `msg-attempts:${msgId}:${iterator}`,
    (signal) =>
      api.get<ListResponse<MessageAttemptOut>>(
        `${base}/attempt/msg/${seg(msgId)}`,
        { limit: 25, iterator, with_content: false },
        signal,
      ),
    { refreshMs: canLiveRefresh(cursor) ? 5000 : null },
  );

  const reloadAll = () => {
    destinations.reload();
    attempts.reload();
  };

  return (
    <>
      <p className="breadcrumbs">
        <Link href={appHref('/history')}>History</Link> / <span className="mono">{msgId}</span>
      </p>
      {message.error ? <ErrorNote error={message.error} /> : null}
      {!message.data && !message.error ? <Loading /> : null}
      {message.data ? (
        <>
          <PageHeader
            title={<span className="mono">{message.data.eventType}</span>}
            subtitle={
              <>
                Message <span className="mono">{message.data.id}</span>
                {message.data.eventId ? (
                  <>
                    {' '}
                    (event id <span className="mono">{message.data.eventId}</span>)
                  </>
                ) : null}
                , sent {absoluteTime(message.data.timestamp)}
                {message.data.channels?.length ? `, channels ${message.data.channels.join(', ')}` : ''}
              </>
            }
          />
          <section className="card" aria-labelledby="payload-title">
            <h2 id="payload-title">Payload</h2>
            {Object.keys(message.data.payload).length === 0 ? (
              <p className="muted">Empty, or removed after the retention period.</p>
            ) : (
              <CodeBlock text={JSON.stringify(message.data.payload, null, 2)} label="Payload" />
            )}
          </section>
        </>
      ) : null}

      <section className="card" aria-labelledby="destinations-title">
        <h2 id="destinations-title">Endpoints</h2>
        {destinations.error ? <ErrorNote error={destinations.error} /> : null}
        {destinations.data && destinations.data.data.length === 0 ? (
          <Empty>No endpoint was subscribed to this message.</Empty>
        ) : null}
        {destinations.data && destinations.data.data.length > 0 ? (
          <ul className="list">
            {destinations.data.data.map((d) => (
              <li key={d.id}>
                <Badge tone={statusTone(d.status)}>{statusLabel(d.status)}</Badge>{' '}
                <Link href={appHref(`/endpoints/${seg(d.id)}`)} className="url">
                  {d.url}
                </Link>
                {d.nextAttempt ? (
                  <span className="muted">
                    {' '}
                    next try <Time iso={d.nextAttempt} />
                  </span>
                ) : null}{' '}
                <ResendButton msgId={msgId} endpointId={d.id} onResent={reloadAll} />
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {attempts.error ? <ErrorNote error={attempts.error} /> : null}
        {attempts.data && attempts.data.data.length === 0 ? <Empty>No attempt yet.</Empty> : null}
        {attempts.data && attempts.data.data.length > 0 ? (
          <DataTable
            caption="Attempts of this message"
            columns={['Status', 'Endpoint', 'Response', 'Duration', 'When']}
          >
            {attempts.data.data.map((a) => (
              <AttemptRow
                key={a.id}
                attempt={a}
                href={appHref(`/messages/${seg(msgId)}/attempts/${seg(a.id)}`)}
              >
                <td data-label="Endpoint" className="url">
                  {a.url}
                </td>
              </AttemptRow>
            ))}
          </DataTable>
        ) : null}
        <Pager state={cursor} page={attempts.data} dispatch={dispatch} label="Attempts" />
      </section>
    </>
  );
}
