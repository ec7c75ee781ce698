import { Link } from 'wouter';
import type { MessageAttemptOut, MessageOut } from '../api/types.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { Badge, CodeBlock, ErrorNote, KeyValues, Loading, PageHeader } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import {
  absoluteTime,
  duration,
  errorClassLabel,
  prettyBody,
  statusLabel,
  statusTone,
} from '../lib/format.js';
import { seg } from '../lib/query.js';
import { ResendButton } from './ResendButton.js';

/**
 * One attempt in full: the request as sent (headers without secrets, the payload pretty-printed)
 * and the response as received (status, headers, body), with duration and error class.
 */
export function AttemptPage({ msgId, attemptId }: { msgId: string; attemptId: string }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const appHref = useAppHref();
  const base = `/api/v1/app/${seg(appId)}/msg/${seg(msgId)}`;
  const attempt = useQuery(`attempt:${attemptId}`, (signal) =>
    api.get<MessageAttemptOut>(`${base}/attempt/${seg(attemptId)}`, undefined, signal),
  );
  const message = useQuery(`msg:${msgId}`, (signal) => api.get<MessageOut>(base, undefined, signal));

  const crumbs = (
    <p className="breadcrumbs">
      <Link href={appHref('/history')}>History</Link> /{' '}
      <Link href={appHref(`/messages/${seg(msgId)}`)} className="mono">
        {msgId}
      </Link>{' '}
      / <span className="mono">{attemptId}</span>
    </p>
  );
  if (attempt.error)
    return (
      <>
        {crumbs}
        <ErrorNote error={attempt.error} />
      </>
    );
  if (!attempt.data) return <Loading />;
  const a = attempt.data;
  const response = prettyBody(a.response);
  const failure = errorClassLabel(a.errorClass);
  return (
    <>
      {crumbs}
      <PageHeader
        title={
          <>
            <Badge tone={statusTone(a.status)}>{statusLabel(a.status)}</Badge>{' '}
            {a.responseStatusCode ? `HTTP ${a.responseStatusCode}` : 'No response'}
          </>
        }
        subtitle={`${absoluteTime(a.timestamp)}, ${a.triggerType === 1 ? 'sent by hand' : 'scheduled'}, took ${duration(a.responseDurationMs)}`}
        actions={<ResendButton msgId={a.msgId} endpointId={a.endpointId} />}
      />
      {failure ? (
        <p className="note note-error" role="status">
          {failure}
          {a.errorMessage ? `: ${a.errorMessage}` : ''}
        </p>
      ) : null}
      <div className="grid grid-wide">
        <section className="card" aria-labelledby="request-title">
          <h2 id="request-title">Request</h2>
          <p>
            <span className="mono">POST</span> <span className="url">{a.url}</span>
          </p>
          <h3>Headers</h3>
          <KeyValues
            entries={Object.entries(a.requestHeaders ?? {})}
            empty={a.requestHeaders === undefined ? 'Not recorded by this server.' : 'None recorded.'}
          />
          <h3>Payload</h3>
          {message.error ? <ErrorNote error={message.error} /> : null}
          {message.data ? (
            Object.keys(message.data.payload).length > 0 ? (
              <CodeBlock text={JSON.stringify(message.data.payload, null, 2)} label="Request payload" />
            ) : (
              <p className="muted">Empty, or removed after the retention period.</p>
            )
          ) : null}
        </section>
        <section className="card" aria-labelledby="response-title">
          <h2 id="response-title">Response</h2>
          <p>{a.responseStatusCode ? `Status ${a.responseStatusCode}` : 'No response was received.'}</p>
          <h3>Headers</h3>
          <KeyValues
            entries={Object.entries(a.responseHeaders ?? {})}
            empty={a.responseHeaders === undefined ? 'Not recorded by this server.' : 'None.'}
          />
          <h3>Body{response.json ? ' (JSON)' : ''}</h3>
          {response.text ? (
            <CodeBlock text={response.text} label="Response body" />
          ) : (
            <p className="muted">Empty.</p>
          )}
        </section>
      </div>
    </>
  );
}
