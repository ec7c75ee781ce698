import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import type { EndpointFilterTestOut } from '../api/types.js';
import { useAppHref, useSession } from '../app/session.js';
import { JsonEditor } from '../components/JsonEditor.js';
import { useQuery } from '../hooks/useQuery.js';
import { readFilterDraft } from '../lib/filter-draft.js';
import { seg } from '../lib/query.js';

/** How many of the application's last messages a draft filter is tried on. */
const RECENT = 100;
/** Matched messages linked under the count. */
const LINKED = 10;
/** Pause in typing before the draft is checked by Herald. */
const DEBOUNCE_MS = 400;

/**
 * The endpoint's payload filter: JSON typed in an editor, checked by Herald as you type (an
 * invalid filter shows Herald's own message, pointing at the bad part) and tried on the
 * application's last messages: "would have matched k of the last n", with links to them.
 * `testPath` is the filter test route: the application's for a new endpoint, the endpoint's own
 * (which adds its saved event types and channels) when editing.
 */
export function FilterEditor({
  value,
  onChange,
  error,
  testPath,
}: {
  value: string;
  onChange(text: string): void;
  error?: string;
  testPath: string;
}) {
  const { api } = useSession();
  const appHref = useAppHref();
  const [typed, setTyped] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setTyped(value), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [value]);
  const draft = readFilterDraft(typed);
  const tried = useQuery(draft.kind === 'invalid' ? null : `filter-test:${testPath}:${typed}`, (signal) =>
    api.request<EndpointFilterTestOut>('POST', testPath, {
      body: { filter: draft.kind === 'ok' ? draft.value : {}, limit: RECENT },
      signal,
    }),
  );
  const local = readFilterDraft(value);
  const problem =
    error ??
    (local.kind === 'invalid' ? local.message : undefined) ??
    (tried.error?.issues.length
      ? tried.error.issues
          .map((i) => `${i.field.replace(/^filter\.?/, '') || 'filter'}: ${i.message}`)
          .join('; ')
      : tried.error?.message);

  return (
    <fieldset className={`field${problem ? ' field-invalid' : ''}`}>
      <legend>Payload filter (optional)</legend>
      <p className="hint" id="filter-hint">
        Receive only messages whose content matches, e.g.{' '}
        <code>{'{"data.currency": "eur", "data.amount": {"$gte": 10000}}'}</code>. Empty: every message of the
        event types and channels above.
      </p>
      <JsonEditor
        id="endpoint-filter"
        label="Payload filter"
        describedBy="filter-hint filter-status"
        value={value}
        resetKey="filter"
        onChange={onChange}
      />
      <div id="filter-status" aria-live="polite">
        {problem ? <p className="field-error">{problem}</p> : null}
        {!problem && tried.data && value === typed ? (
          <RecentMatches result={tried.data} href={(id) => appHref(`/messages/${seg(id)}`)} />
        ) : null}
      </div>
    </fieldset>
  );
}

function RecentMatches({ result, href }: { result: EndpointFilterTestOut; href(id: string): string }) {
  if (result.examined === 0) return <p className="hint">No messages yet to try the filter on.</p>;
  return (
    <div className="hint filter-matches">
      <p>
        Would have matched <strong>{result.matched}</strong> of the last {result.examined} messages.
      </p>
      {result.messageIds.length > 0 ? (
        <ul>
          {result.messageIds.slice(0, LINKED).map((id) => (
            <li key={id}>
              <Link href={href(id)} className="mono">
                {id}
              </Link>
            </li>
          ))}
          {result.messageIds.length > LINKED ? <li>…</li> : null}
        </ul>
      ) : null}
    </div>
  );
}
