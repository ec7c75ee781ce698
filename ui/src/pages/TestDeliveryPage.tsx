import { useEffect, useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { EndpointOut, EventTypeOut, ListResponse, MessageAttemptOut, MessageOut } from '../api/types.js';
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

/** A test message sent: whether its payload was edited, and whether the server ignored the edit. */
interface SentTest {
  message: MessageOut;
  edited: boolean;
  ignored: boolean;
}

/**
 * Test delivery: pick an event type, edit its example (checked against the schema as you type),
 * send it to this endpoint only, and watch the attempt arrive with the receiver's response.
 */
export function TestDeliveryPage({ endpoint }: { endpoint: EndpointOut }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const subscribed = endpoint.eventTypes ?? endpoint.filterTypes ?? null;
  const choice = useEventTypeChoice(subscribed);
  const draft = usePayloadDraft(choice.selected);
  const [sent, setSent] = useState<SentTest | null>(null);
  const watch = useAttemptWatch(sent?.message ?? null, endpoint.id);

  const send = useAction(async () => {
    const { check, example } = draft;
    if (check.kind !== 'ok' || !choice.selected) return null;
    const edited = JSON.stringify(check.value) !== JSON.stringify(example);
    const message = await api.post<MessageOut>(
      `/api/v1/app/${seg(appId)}/endpoint/${seg(endpoint.id)}/send-example`,
      { eventType: choice.selected.name, ...(edited ? { payload: check.value } : {}) },
    );
    // A server without Herald's `payload` extension sends the catalog example instead: say so.
    const ignored =
      edited &&
      JSON.stringify(message.payload) !== JSON.stringify(check.value) &&
      Object.keys(message.payload).length > 0;
    setSent({ message, edited, ignored });
    watch.restart();
    return message;
  });

  if (choice.catalog.error) return <ErrorNote error={choice.catalog.error} />;
  if (!choice.catalog.data) return <Loading label="Loading the event catalog…" />;
  if (choice.types.mine.length + choice.types.others.length === 0)
    return <Note>The event catalog is empty: there is no event type to send an example of yet.</Note>;

  return (
    <div className="grid grid-wide">
      <section className="card" aria-labelledby="test-title">
        <h2 id="test-title">Send a test event</h2>
        <EventTypeSelect choice={choice} subscribed={subscribed} />
        <PayloadEditor draft={draft} />
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={send.pending || draft.check.kind !== 'ok'}
            onClick={() => send.run()}
          >
            {send.pending ? 'Sending…' : 'Send test event'}
          </button>
          <button
            type="button"
            className="button"
            onClick={draft.resetToExample}
            disabled={draft.text === draft.exampleText}
          >
            Reset to example
          </button>
        </div>
        <ErrorNote error={send.error} />
      </section>
      <TestResult sent={sent} attempt={watch.attempt} watching={watch.watching} />
    </div>
  );
}

/**
 * The catalog's live event types, those the endpoint subscribes to first, and the one picked
 * (the first subscribed type once the catalog is in).
 */
function useEventTypeChoice(subscribed: string[] | null) {
  const catalog = useCatalog(true);
  const [eventType, setEventType] = useState('');
  const types = useMemo(() => {
    const all = (catalog.data?.eventTypes ?? []).filter((t) => !t.archived);
    const isSubscribed = (name: string) => !subscribed || subscribed.includes(name);
    return {
      mine: all.filter((t) => isSubscribed(t.name)),
      others: all.filter((t) => !isSubscribed(t.name)),
    };
  }, [catalog.data, subscribed]);
  const selected = catalog.data?.eventTypes.find((t) => t.name === eventType) ?? null;

  // Pick the first event type the endpoint listens to, once the catalog is in.
  useEffect(() => {
    if (!eventType && (types.mine[0] ?? types.others[0]))
      setEventType((types.mine[0] ?? types.others[0])!.name);
  }, [eventType, types]);
  return { catalog, types, eventType, setEventType, selected };
}

/**
 * The payload being edited: it starts from the selected type's example (the server's, else one
 * made from its schema) and is checked against the schema on every change.
 */
function usePayloadDraft(selected: EventTypeOut | null) {
  const examples = useCatalogExamples();
  const [text, setText] = useState('');
  const [resets, setResets] = useState(0);
  const schema = useMemo(() => latestSchema(selected?.schemas), [selected]);
  const compiled = useMemo(() => (schema ? compileSchema(schema) : null), [schema]);
  const example = useMemo(
    () => (selected ? (examples.data?.[selected.name] ?? schemaExample(schema) ?? {}) : {}),
    [selected, examples.data, schema],
  );
  const exampleText = JSON.stringify(example, null, 2);
  const check = useMemo(() => checkPayload(text, compiled), [text, compiled]);

  const resetToExample = () => {
    setText(exampleText);
    setResets((n) => n + 1);
  };
  // A newly picked type starts from its example.
  useEffect(() => {
    setText(exampleText);
    setResets((n) => n + 1);
  }, [exampleText]);
  return { text, setText, resets, hasSchema: compiled !== null, example, exampleText, check, resetToExample };
}

/**
 * Watches for the first attempt of a test message to this endpoint, for up to `WATCH_MS`, until
 * it succeeds or fails. `restart` starts watching again for a new message.
 */
function useAttemptWatch(message: MessageOut | null, endpointId: string) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const [attempt, setAttempt] = useState<MessageAttemptOut | null>(null);
  const [watching, setWatching] = useState(false);

  useEffect(() => {
    if (!message || !watching) return;
    const started = Date.now();
    let stopped = false;
    const poll = async () => {
      while (!stopped && Date.now() - started < WATCH_MS) {
        try {
          const list = await api.get<ListResponse<MessageAttemptOut>>(
            `/api/v1/app/${seg(appId)}/attempt/msg/${seg(message.id)}`,
            { endpoint_id: endpointId, limit: 1, with_content: true },
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
  }, [message, watching, api, appId, endpointId]);

  const restart = () => {
    setAttempt(null);
    setWatching(true);
  };
  return { attempt, watching, restart };
}

/** The event type picker: subscribed types first, then the others. */
function EventTypeSelect({
  choice,
  subscribed,
}: {
  choice: ReturnType<typeof useEventTypeChoice>;
  subscribed: string[] | null;
}) {
  const { types, eventType, setEventType, selected } = choice;
  return (
    <Field
      label="Event type"
      hint={
        selected?.description ||
        (subscribed ? 'The endpoint receives the test even if it does not subscribe to the type.' : undefined)
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
  );
}

/** The JSON editor for the payload, with the result of its check below it. */
function PayloadEditor({ draft }: { draft: ReturnType<typeof usePayloadDraft> }) {
  const editorId = useId();
  const statusId = `${editorId}-status`;
  return (
    <>
      <label htmlFor={editorId} className="label">
        Payload
      </label>
      <JsonEditor
        id={editorId}
        value={draft.text}
        resetKey={String(draft.resets)}
        onChange={draft.setText}
        label="Payload (JSON)"
        describedBy={statusId}
      />
      <PayloadStatus id={statusId} check={draft.check} hasSchema={draft.hasSchema} />
    </>
  );
}

/** What became of the test: the message sent, then its attempt as it arrives. */
function TestResult({
  sent,
  attempt,
  watching,
}: {
  sent: SentTest | null;
  attempt: MessageAttemptOut | null;
  watching: boolean;
}) {
  const appHref = useAppHref();
  return (
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
