import { useEffect, useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { EndpointOut, ListResponse, MessageAttemptOut, MessageOut } from '../api/types.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { JsonEditor } from '../components/JsonEditor.js';
import { Badge, CodeBlock, ErrorNote, Field, Loading, Note } from '../components/ui.js';
import { useCatalog, useCatalogExamples } from '../hooks/useCatalog.js';
import { useAction } from '../hooks/useQuery.js';
import { duration, errorClassLabel, prettyBody, statusLabel, statusTone } from '../lib/format.js';
import { checkPayload, compileSchema, latestSchema, schemaExample } from '../lib/json-check.js';
import { seg } from '../lib/query.js';

/** How long the page watches for the test's first attempt before saying it is still pending. */
const WATCH_MS = 30_000;

/**
 * Test delivery: pick an event type, edit its example (checked against the schema as you type),
 * send it to this endpoint only, and watch the attempt arrive with the receiver's response.
 */
export function TestDeliveryPage({ endpoint }: { endpoint: EndpointOut }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const appHref = useAppHref();
  const catalog = useCatalog(true);
  const examples = useCatalogExamples();
  const [eventType, setEventType] = useState('');
  const [text, setText] = useState('');
  const [sent, setSent] = useState<{ message: MessageOut; edited: boolean; ignored: boolean } | null>(null);
  const [attempt, setAttempt] = useState<MessageAttemptOut | null>(null);
  const [watching, setWatching] = useState(false);
  const [resets, setResets] = useState(0);
  const editorId = useId();
  const statusId = `${editorId}-status`;

  const subscribed = endpoint.eventTypes ?? endpoint.filterTypes ?? null;
  const types = useMemo(() => {
    const all = (catalog.data?.eventTypes ?? []).filter((t) => !t.archived);
    const isSubscribed = (name: string) => !subscribed || subscribed.includes(name);
    return {
      mine: all.filter((t) => isSubscribed(t.name)),
      others: all.filter((t) => !isSubscribed(t.name)),
    };
  }, [catalog.data, subscribed]);
  const selected = catalog.data?.eventTypes.find((t) => t.name === eventType) ?? null;
  const schema = useMemo(() => latestSchema(selected?.schemas), [selected]);
  const compiled = useMemo(() => (schema ? compileSchema(schema) : null), [schema]);
  const example = useMemo(
    () => (selected ? (examples.data?.[selected.name] ?? schemaExample(schema) ?? {}) : {}),
    [selected, examples.data, schema],
  );
  const exampleText = JSON.stringify(example, null, 2);
  const check = useMemo(() => checkPayload(text, compiled), [text, compiled]);

  // Pick the first event type the endpoint listens to, once the catalog is in.
  useEffect(() => {
    if (!eventType && (types.mine[0] ?? types.others[0]))
      setEventType((types.mine[0] ?? types.others[0])!.name);
  }, [eventType, types]);
  // A newly picked type starts from its example.
  useEffect(() => {
    setText(exampleText);
    setResets((n) => n + 1);
  }, [exampleText]);
  const resetToExample = () => {
    setText(exampleText);
    setResets((n) => n + 1);
  };

  const send = useAction(async () => {
    if (check.kind !== 'ok' || !selected) return null;
    const edited = JSON.stringify(check.value) !== JSON.stringify(example);
    const message = await api.post<MessageOut>(
      `/api/v1/app/${seg(appId)}/endpoint/${seg(endpoint.id)}/send-example`,
      { eventType: selected.name, ...(edited ? { payload: check.value } : {}) },
    );
    // A server without Herald's `payload` extension sends the catalog example instead: say so.
    const ignored =
      edited &&
      JSON.stringify(message.payload) !== JSON.stringify(check.value) &&
      Object.keys(message.payload).length > 0;
    setSent({ message, edited, ignored });
    setAttempt(null);
    setWatching(true);
    return message;
  });

  // Watch for the attempt of the test message to this endpoint.
  useEffect(() => {
    if (!sent || !watching) return;
    const started = Date.now();
    let stopped = false;
    const poll = async () => {
      while (!stopped && Date.now() - started < WATCH_MS) {
        try {
          const list = await api.get<ListResponse<MessageAttemptOut>>(
            `/api/v1/app/${seg(appId)}/attempt/msg/${seg(sent.message.id)}`,
            { endpoint_id: endpoint.id, limit: 1, with_content: true },
          );
          const first = list.data[0];
          if (first && !stopped) {
            setAttempt(first);
            if (first.status === 0 || first.status === 2) break;
          }
        } catch {
          /* keep watching: the attempt list may lag the message */
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (!stopped) setWatching(false);
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [sent, watching, api, appId, endpoint.id]);

  if (catalog.error) return <ErrorNote error={catalog.error} />;
  if (!catalog.data) return <Loading label="Loading the event catalog…" />;
  if (types.mine.length + types.others.length === 0)
    return <Note>The event catalog is empty: there is no event type to send an example of yet.</Note>;

  return (
    <div className="grid grid-wide">
      <section className="card" aria-labelledby="test-title">
        <h2 id="test-title">Send a test event</h2>
        <Field
          label="Event type"
          hint={
            selected?.description ||
            (subscribed
              ? 'The endpoint receives the test even if it does not subscribe to the type.'
              : undefined)
          }
        >
          {(props) => (
            <select {...props} value={eventType} onChange={(e) => setEventType(e.target.value)}>
              <optgroup label={subscribed ? 'Subscribed' : 'All event types'}>
                {types.mine.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </optgroup>
              {types.others.length > 0 ? (
                <optgroup label="Not subscribed">
                  {types.others.map((t) => (
                    <option key={t.name} value={t.name}>
                      {t.name}
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          )}
        </Field>
        <label htmlFor={editorId} className="label">
          Payload
        </label>
        <JsonEditor
          id={editorId}
          value={text}
          resetKey={String(resets)}
          onChange={setText}
          label="Payload (JSON)"
          describedBy={statusId}
        />
        <PayloadStatus id={statusId} check={check} hasSchema={compiled !== null} />
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={send.pending || check.kind !== 'ok'}
            onClick={() => send.run()}
          >
            {send.pending ? 'Sending…' : 'Send test event'}
          </button>
          <button type="button" className="button" onClick={resetToExample} disabled={text === exampleText}>
            Reset to example
          </button>
        </div>
        <ErrorNote error={send.error} />
      </section>

      <section className="card" aria-labelledby="result-title" aria-live="polite">
        <h2 id="result-title">Result</h2>
        {!sent ? (
          <p className="muted">Send a test event to see the attempt and the endpoint's response here.</p>
        ) : null}
        {sent ? (
          <p>
            Sent message{' '}
            <Link href={appHref(`/messages/${seg(sent.message.id)}`)} className="mono">
              {sent.message.id}
            </Link>
            .
          </p>
        ) : null}
        {sent?.ignored ? (
          <Note tone="warn">
            This Herald sent the catalog example: it does not accept edited payloads for tests yet.
          </Note>
        ) : null}
        {sent && !attempt ? (
          watching ? (
            <Loading label="Waiting for the attempt…" />
          ) : (
            <p className="muted">No attempt yet: the delivery is queued.</p>
          )
        ) : null}
        {attempt ? (
          <AttemptResult
            attempt={attempt}
            href={appHref(`/messages/${seg(attempt.msgId)}/attempts/${seg(attempt.id)}`)}
          />
        ) : null}
      </section>
    </div>
  );
}

function PayloadStatus({
  id,
  check,
  hasSchema,
}: {
  id: string;
  check: ReturnType<typeof checkPayload>;
  hasSchema: boolean;
}) {
  if (check.kind === 'ok')
    return (
      <p id={id} className="note note-good" role="status">
        {hasSchema
          ? 'Valid JSON that matches the event type’s schema.'
          : 'Valid JSON. This event type has no schema to check against.'}
      </p>
    );
  if (check.kind === 'syntax')
    return (
      <p id={id} className="note note-error" role="status">
        Not valid JSON, line {check.line}, column {check.column}: {check.message}
      </p>
    );
  if (check.kind === 'not-object')
    return (
      <p id={id} className="note note-error" role="status">
        {check.message}
      </p>
    );
  return (
    <div id={id} className="note note-error" role="status">
      <p>The payload does not match the event type’s schema:</p>
      <ul>
        {check.violations.map((v) => (
          <li key={`${v.path}:${v.message}`}>
            <span className="mono">{v.path}</span> {v.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function AttemptResult({ attempt, href }: { attempt: MessageAttemptOut; href: string }) {
  const body = prettyBody(attempt.response);
  return (
    <div className="attempt-result" data-testid="test-attempt">
      <p>
        <Badge tone={statusTone(attempt.status)}>{statusLabel(attempt.status)}</Badge>{' '}
        {attempt.responseStatusCode ? `HTTP ${attempt.responseStatusCode}` : 'No response'} in{' '}
        {duration(attempt.responseDurationMs)}
      </p>
      {attempt.errorClass ? (
        <p>
          {errorClassLabel(attempt.errorClass)}
          {attempt.errorMessage ? `: ${attempt.errorMessage}` : ''}
        </p>
      ) : null}
      {body.text ? (
        <CodeBlock text={body.text} label="Response body" />
      ) : (
        <p className="muted">Empty response body.</p>
      )}
      <Link href={href}>Open the attempt</Link>
    </div>
  );
}
