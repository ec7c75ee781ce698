import { type FormEvent, useEffect, useState } from 'react';
import type { EndpointOut, ListResponse } from '../api/types.js';
import { useAppScope, useSession } from '../app/session.js';
import { EventTypeSelect } from '../components/pickers.js';
import { Field } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { DELIVERY_LABELS, DELIVERY_MEANINGS } from '../lib/delivery-status.js';
import {
  activeFilterCount,
  type DeliveryFilter,
  type HistoryFilters,
  NO_FILTERS,
  type StatusFilter,
  type TimeRange,
} from '../lib/filters.js';
import { seg } from '../lib/query.js';

/** Attempt statuses, for one endpoint's attempts. */
const STATUS_OPTIONS: Array<[StatusFilter, string]> = [
  ['', 'Any status'],
  ['0', 'Succeeded'],
  ['2', 'Failed'],
  ['1', 'Pending'],
  ['3', 'Sending'],
];
/** Message delivery states across endpoints, for the message list. */
const DELIVERY_OPTIONS: Array<[DeliveryFilter, string]> = [
  ['', 'Any status'],
  ...(['exhausted', 'failing', 'pending', 'succeeded'] as const).map((state): [DeliveryFilter, string] => [
    state,
    `${DELIVERY_LABELS[state]} (${DELIVERY_MEANINGS[state]})`,
  ]),
];
const RANGE_OPTIONS: Array<[TimeRange, string]> = [
  ['any', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['custom', 'Between…'],
];

type TextFilterKey = 'search' | 'channel' | 'tag';

/**
 * The history's filters. Text fields apply on Enter or when they lose focus; the selects at
 * once. Without an endpoint, Status is the message's delivery state across its endpoints;
 * with one, the status of that endpoint's attempts.
 */
export function FilterBar({
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
  const endpoints = useQuery(fixedEndpoint ? null : `endpoint-options:${appId}`, (signal) =>
    api.get<ListResponse<EndpointOut>>(`/api/v1/app/${seg(appId)}/endpoint`, { limit: 250 }, signal),
  );
  const [text, setText] = useState({ search: filters.search, channel: filters.channel, tag: filters.tag });
  useEffect(
    () => setText({ search: filters.search, channel: filters.channel, tag: filters.tag }),
    [filters.search, filters.channel, filters.tag],
  );
  const set = (patch: Partial<HistoryFilters>) => onChange({ ...filters, ...patch });
  const trimmed = () => ({ search: text.search.trim(), channel: text.channel.trim(), tag: text.tag.trim() });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set(trimmed());
  };
  const errorFor = (field: keyof HistoryFilters) => (error?.field === field ? error.message : undefined);
  const count = activeFilterCount(filters) - (fixedEndpoint ? 1 : 0);
  const byEndpoint = Boolean(filters.endpointId);

  const textField = (key: TextFilterKey, label: string, placeholder: string) => (
    <Field label={label} error={errorFor(key)}>
      {(props) => (
        <input
          {...props}
          className="mono"
          value={text[key]}
          placeholder={placeholder}
          onChange={(e) => setText({ ...text, [key]: e.target.value })}
          onBlur={() => text[key].trim() !== filters[key] && set({ [key]: text[key].trim() })}
        />
      )}
    </Field>
  );

  return (
    <form className="filters" aria-label="Filters" onSubmit={submit}>
      {textField('search', 'Message id or eventId', 'msg_… or your event id')}
      {fixedEndpoint ? null : (
        <Field label="Endpoint" error={errorFor('endpointId')}>
          {(props) => (
            <select
              {...props}
              value={filters.endpointId}
              onChange={(e) => set({ endpointId: e.target.value, status: '', delivery: '' })}
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
      <Field label="Status" error={errorFor(byEndpoint ? 'status' : 'delivery')}>
        {(props) =>
          byEndpoint ? (
            <select
              {...props}
              value={filters.status}
              onChange={(e) => set({ status: e.target.value as StatusFilter })}
            >
              {STATUS_OPTIONS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          ) : (
            <select
              {...props}
              value={filters.delivery}
              disabled={Boolean(filters.search)}
              onChange={(e) => set({ delivery: e.target.value as DeliveryFilter })}
            >
              {DELIVERY_OPTIONS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )
        }
      </Field>
      <EventTypeSelect
        label="Event type"
        value={filters.eventTypes[0] ?? ''}
        onChange={(name) => set({ eventTypes: name ? [name] : [] })}
      />
      {textField('channel', 'Channel', 'any')}
      {textField('tag', 'Tag', 'any')}
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
