import { useState } from 'react';
import { Link } from 'wouter';
import type { EndpointAttemptStatsOut, EndpointMessageOut, ListResponse } from '../api/types.js';
import { useAppHref, useSession } from '../app/session.js';
import { DataTable } from '../components/DataTable.js';
import { LineChart } from '../components/LineChart.js';
import { Empty, ErrorNote, Loading, Time } from '../components/ui.js';
import { type ChartWindow, WindowToggle } from '../components/WindowToggle.js';
import { useQuery } from '../hooks/useQuery.js';
import { absoluteTime, countdown } from '../lib/format.js';
import { overviewSeries, overviewTotals } from '../lib/overview.js';
import { seg } from '../lib/query.js';

const REFRESH_MS = 15_000;
/** Pending deliveries shown in the retry schedule; the Attempts tab has the rest. */
const SCHEDULE_LIMIT = 25;

/** The endpoint's attempts over the last hour or day, succeeded and failed per bucket. */
export function EndpointDeliveryChart({ path }: { path: string }) {
  const { api } = useSession();
  const [window, setWindow] = useState<ChartWindow>('hour');
  const stats = useQuery(
    `endpoint-series:${path}:${window}`,
    (signal) => api.get<EndpointAttemptStatsOut>(`${path}/stats/attempts`, { window }, signal),
    { refreshMs: REFRESH_MS },
  );
  const per = window === 'hour' ? 'minute' : 'quarter hour';
  const body = () => {
    if (stats.error)
      return stats.error.missingRoute ? (
        <p className="muted">This server does not chart deliveries over time.</p>
      ) : (
        <ErrorNote error={stats.error} />
      );
    if (!stats.data) return <Loading />;
    const series = overviewSeries(stats.data);
    const totals = overviewTotals(stats.data);
    const sorted = [...stats.data.buckets].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    return (
      <LineChart
        title={`Attempts per ${per}`}
        summary={`${totals.attempts} attempts in the last ${window}, ${totals.failed} failed.`}
        x={series.x}
        series={[
          { label: 'succeeded', values: sorted.map((b) => b.succeeded), color: '#16a34a' },
          { label: 'failed', values: sorted.map((b) => b.failed), color: '#dc2626' },
        ]}
        yFormat={(v) => (Number.isInteger(v) ? String(v) : '')}
        height={150}
      />
    );
  };
  return (
    <section className="card card-wide" aria-labelledby="chart-title">
      <div className="card-header">
        <h2 id="chart-title">Deliveries and failures</h2>
        <WindowToggle value={window} onChange={setWindow} name="endpoint-window" />
      </div>
      {body()}
    </section>
  );
}

/**
 * What the endpoint is still owed and when Herald tries each again: its pending deliveries
 * (Svix's attempted-messages list, status Pending) ordered by their next attempt.
 */
export function RetrySchedule({ path }: { path: string }) {
  const { api } = useSession();
  const appHref = useAppHref();
  const pending = useQuery(
    `retry-schedule:${path}`,
    (signal) =>
      api.get<ListResponse<EndpointMessageOut>>(
        `${path}/msg`,
        { status: 1, limit: SCHEDULE_LIMIT, with_content: false },
        signal,
      ),
    { refreshMs: REFRESH_MS },
  );
  // Read when the page is fetched (every REFRESH_MS), so the countdowns move with each refresh.
  const now = Date.now();
  const rows = [...(pending.data?.data ?? [])].sort(
    (a, b) => Date.parse(a.nextAttempt ?? '') - Date.parse(b.nextAttempt ?? '') || a.id.localeCompare(b.id),
  );
  return (
    <section className="card card-wide" aria-labelledby="schedule-title">
      <h2 id="schedule-title">Retry schedule</h2>
      <p className="muted">
        Deliveries still owed to this endpoint, soonest first.
        {pending.data && !pending.data.done ? ` The ${SCHEDULE_LIMIT} newest are shown.` : ''}
      </p>
      <ErrorNote error={pending.error} />
      {!pending.data && !pending.error ? <Loading /> : null}
      {pending.data && rows.length === 0 ? <Empty>Nothing pending: every delivery is settled.</Empty> : null}
      {rows.length > 0 ? (
        <DataTable caption="Pending deliveries" columns={['Next attempt', 'Message', 'Event type', 'Sent']}>
          {rows.map((m) => (
            <tr key={m.id}>
              <td data-label="Next attempt">
                {m.nextAttempt ? (
                  <time dateTime={m.nextAttempt} title={absoluteTime(m.nextAttempt)}>
                    {countdown(m.nextAttempt, now)}
                  </time>
                ) : (
                  <span className="muted">being sent</span>
                )}
              </td>
              <td data-label="Message">
                <Link href={appHref(`/messages/${seg(m.id)}`)} className="mono">
                  {m.eventId ?? m.id}
                </Link>
              </td>
              <td data-label="Event type" className="mono">
                {m.eventType}
              </td>
              <td data-label="Sent">
                <Time iso={m.timestamp} />
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </section>
  );
}
