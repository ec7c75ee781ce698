import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError } from '../api/errors.js';
import { SearchInput } from '../components/SearchInput.js';
import { Field, Loading } from '../components/ui.js';
import { filterEventTypes, useCatalog } from '../hooks/useCatalog.js';
import {
  type EndpointFormErrors,
  type EndpointFormValues,
  type HeaderRow,
  validateEndpointForm,
} from '../lib/endpoint-form.js';
import { FilterEditor } from './FilterEditor.js';

/** Fields the form shows the server's 422 messages beside; any other issue is shown above the buttons. */
const FORM_FIELDS = new Set([
  'url',
  'description',
  'eventTypes',
  'filterTypes',
  'channels',
  'throttleRate',
  'rateLimit',
  'headers',
  'filter',
  'ordering',
  'fifoOnExhausted',
  'fifoBatchSize',
]);

/**
 * Create and edit an endpoint: URL, description, event types from the catalog, channels, payload
 * filter, rate limit, custom headers. Checked as Herald checks it; the server's own 422 is shown
 * per field. `filterTestPath` is where the payload filter is tried as it is typed.
 */
export function EndpointForm({
  initial,
  submitLabel,
  pending,
  serverError,
  filterTestPath,
  onSubmit,
  onCancel,
}: {
  initial: EndpointFormValues;
  filterTestPath: string;
  submitLabel: string;
  pending: boolean;
  serverError: ApiError | null;
  onSubmit(values: EndpointFormValues): void;
  onCancel?(): void;
}) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<EndpointFormErrors>({});
  const form = useRef<HTMLFormElement>(null);
  // When Herald refuses a field, take the person to it, as for the browser's own checks.
  useEffect(() => {
    if (serverError?.issues.length)
      form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [serverError]);
  const set = <K extends keyof EndpointFormValues>(key: K, value: EndpointFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateEndpointForm(values);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      // Take keyboard users to the first field that needs fixing.
      const first = (event.currentTarget as HTMLFormElement).querySelector<HTMLElement>(
        '[aria-invalid="true"]',
      );
      first?.focus();
      return;
    }
    onSubmit(values);
  };

  const fieldError = (field: keyof EndpointFormErrors, ...serverFields: string[]) =>
    errors[field] ?? serverFields.map((f) => serverError?.issueFor(f)).find(Boolean) ?? undefined;

  return (
    <form ref={form} className="card form" onSubmit={submit} noValidate>
      <Field label="Endpoint URL" error={fieldError('url', 'url')} hint="Herald sends a signed POST here.">
        {(props) => (
          <input
            {...props}
            type="url"
            inputMode="url"
            placeholder="https://example.com/webhooks"
            value={values.url}
            onChange={(e) => set('url', e.target.value)}
          />
        )}
      </Field>
      <Field label="Description" error={fieldError('description', 'description')}>
        {(props) => (
          <input {...props} value={values.description} onChange={(e) => set('description', e.target.value)} />
        )}
      </Field>
      <EventTypePicker
        selected={values.eventTypes}
        onChange={(types) => set('eventTypes', types)}
        error={serverError?.issueFor('eventTypes') ?? serverError?.issueFor('filterTypes')}
      />
      <Field
        label="Channels (optional)"
        hint="Receive only messages sent to one of these channels, separated by commas. Empty: every channel."
        error={fieldError('channels', 'channels')}
      >
        {(props) => (
          <input
            {...props}
            className="mono"
            value={values.channels}
            onChange={(e) => set('channels', e.target.value)}
          />
        )}
      </Field>
      <FilterEditor
        value={values.filter}
        onChange={(text) => set('filter', text)}
        error={fieldError('filter', 'filter')}
        testPath={filterTestPath}
      />
      <Field
        label="Rate limit (optional)"
        hint="Most messages per second Herald sends to this endpoint. Empty: no limit."
        error={fieldError('rateLimit', 'throttleRate', 'rateLimit')}
      >
        {(props) => (
          <input
            {...props}
            inputMode="numeric"
            value={values.rateLimit}
            onChange={(e) => set('rateLimit', e.target.value)}
          />
        )}
      </Field>
      <OrderingFields values={values} set={set} error={fieldError('fifoBatchSize', 'fifoBatchSize')} />
      <HeadersEditor
        rows={values.headers}
        onChange={(rows) => set('headers', rows)}
        error={errors.headers ?? serverError?.issueFor('headers')}
      />
      {serverError &&
      (serverError.issues.length === 0 ||
        serverError.issues.some((issue) => !FORM_FIELDS.has(issue.field.split('.')[0] ?? ''))) ? (
        <p className="note note-error" role="alert">
          {serverError.message}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/**
 * Ordered delivery: off (as they come) or FIFO per ordering key, what a key does when its oldest
 * message exhausts its retries, and the batch size.
 */
function OrderingFields({
  values,
  set,
  error,
}: {
  values: EndpointFormValues;
  set<K extends keyof EndpointFormValues>(key: K, value: EndpointFormValues[K]): void;
  error?: string;
}) {
  return (
    <fieldset className="field">
      <legend>Ordering</legend>
      <label className="choice">
        <input
          type="radio"
          name="ordering"
          checked={values.ordering === 'none'}
          onChange={() => set('ordering', 'none')}
        />
        As they come (fastest)
      </label>
      <label className="choice">
        <input
          type="radio"
          name="ordering"
          checked={values.ordering === 'fifo'}
          onChange={() => set('ordering', 'fifo')}
        />
        In publish order per ordering key (FIFO)
      </label>
      {values.ordering === 'fifo' ? (
        <>
          <label className="choice">
            <input
              type="checkbox"
              checked={values.fifoOnExhausted === 'skip'}
              onChange={(e) => set('fifoOnExhausted', e.target.checked ? 'skip' : 'block')}
            />
            Skip a message that exhausts its retries (otherwise its key waits until it is recovered)
          </label>
          <Field
            label="Messages per request"
            hint="Up to 100 consecutive messages of one key sent together as a JSON array. 1: one message per request."
            error={error}
          >
            {(props) => (
              <input
                {...props}
                inputMode="numeric"
                value={values.fifoBatchSize}
                onChange={(e) => set('fifoBatchSize', e.target.value)}
              />
            )}
          </Field>
        </>
      ) : null}
    </fieldset>
  );
}

/** "All event types", or a choice from the catalog with each type's description. */
function EventTypePicker({
  selected,
  onChange,
  error,
}: {
  selected: string[];
  onChange(types: string[]): void;
  error?: string;
}) {
  const catalog = useCatalog(false);
  const [filter, setFilter] = useState('');
  const [only, setOnly] = useState(selected.length > 0);
  const types = useMemo(() => {
    const all = (catalog.data?.eventTypes ?? []).filter((t) => !t.archived);
    // A subscription to a type no longer in the catalog (or a wildcard) stays visible and removable.
    const extra = selected.filter((name) => !all.some((t) => t.name === name));
    const list = [
      ...all.map((t) => ({ name: t.name, description: t.description, deprecated: t.deprecated })),
      ...extra.map((name) => ({ name, description: 'Not in the catalog', deprecated: false })),
    ];
    return filterEventTypes(list, filter);
  }, [catalog.data, selected, filter]);

  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...selected, name] : selected.filter((n) => n !== name));

  return (
    <fieldset className="field">
      <legend>Event types</legend>
      <label className="choice">
        <input
          type="radio"
          name="event-scope"
          checked={!only}
          onChange={() => {
            setOnly(false);
            onChange([]);
          }}
        />
        Every event type
      </label>
      <label className="choice">
        <input type="radio" name="event-scope" checked={only} onChange={() => setOnly(true)} />
        Only the ones I choose
      </label>
      {only ? (
        <div className="picker">
          <SearchInput
            id="event-type-filter"
            label="Filter event types"
            placeholder="Filter event types"
            value={filter}
            onChange={setFilter}
          />
          {catalog.error ? <p className="field-error">{catalog.error.message}</p> : null}
          {!catalog.data && !catalog.error ? <Loading label="Loading the event catalog…" /> : null}
          {catalog.data && types.length === 0 ? <p className="muted">No event type matches.</p> : null}
          <ul className="picker-list">
            {types.map((t) => (
              <li key={t.name}>
                <label className="choice">
                  <input
                    type="checkbox"
                    checked={selected.includes(t.name)}
                    onChange={(e) => toggle(t.name, e.target.checked)}
                  />
                  <span>
                    <span className="mono">{t.name}</span>
                    {t.deprecated ? <span className="muted"> (deprecated)</span> : null}
                    <span className="muted picker-description">{t.description}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          {only && selected.length === 0 ? (
            <p className="hint">Choose at least one, or pick "Every event type".</p>
          ) : null}
        </div>
      ) : null}
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}

/** Custom headers as name/value rows; a credential's stored value is never shown back. */
function HeadersEditor({
  rows,
  onChange,
  error,
}: {
  rows: HeaderRow[];
  onChange(rows: HeaderRow[]): void;
  error?: string;
}) {
  const update = (index: number, patch: Partial<HeaderRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className="field">
      <legend>Custom headers (optional)</legend>
      <p className="hint">
        Sent with every request to this endpoint, for example an API key your receiver expects.
      </p>
      {rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity before they are saved
        <div className="header-row" key={index}>
          <label className="visually-hidden" htmlFor={`header-name-${index}`}>
            Header {index + 1} name
          </label>
          <input
            id={`header-name-${index}`}
            className="mono"
            placeholder="X-Header-Name"
            value={row.name}
            onChange={(e) => update(index, { name: e.target.value })}
          />
          <label className="visually-hidden" htmlFor={`header-value-${index}`}>
            Header {index + 1} value
          </label>
          <input
            id={`header-value-${index}`}
            className="mono"
            placeholder={row.sensitive ? 'hidden: leave empty to keep' : 'value'}
            value={row.value}
            onChange={(e) => update(index, { value: e.target.value })}
          />
          <button
            type="button"
            className="button button-small"
            aria-label={`Remove header ${row.name || index + 1}`}
            onClick={() => onChange(rows.filter((_, i) => i !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button button-small"
        onClick={() => onChange([...rows, { name: '', value: '' }])}
      >
        Add header
      </button>
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}
