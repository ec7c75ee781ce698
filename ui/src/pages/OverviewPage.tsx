import { useState } from 'react';
import { Link } from 'wouter';
import type { OverviewOut } from '../api/types.js';
import { useSession } from '../app/session.js';
import { LineChart } from '../components/LineChart.js';
import { Badge, Empty, ErrorNote, Loading, Note, PageHeader, Time } from '../components/ui.js';
import { WindowToggle } from '../components/WindowToggle.js';
import { useQuery } from '../hooks/useQuery.js';
import { duration, percent } from '../lib/format.js';
import { oldestDueAge, overviewSeries, overviewTotals } from '../lib/overview.js';
import { seg } from '../lib/query.js';

const REFRESH_MS = 15_000;

/** The operator's overview: delivery rate and failures over the last hour or day, the queue, disabled endpoints. */
export function OverviewPage() {
  const { api } = useSession();
  const [range, setRange] = useState<'hour' | 'day'>('hour');
  const overview = useQuery(
    `overview:${range}`,
    (signal) => api.get<OverviewOut>('/api/v1/stats/overview', { window: range }, signal),
    { refreshMs: REFRESH_MS },
  );

  return (
    <>
      <PageHeader
        title="Overview"
        subtitle="Is everything flowing? Deliveries, failures and the queue across every application."
        actions={<WindowToggle value={range} onChange={setRange} name="window" />}
      />
      {overview.error?.missingRoute ? (
        <Note>
          This Herald server does not report an overview yet. Open <Link href="/apps">an application</Link> to
          see each endpoint's health.
        </Note>
      ) : overview.error ? (
        <ErrorNote error={overview.error} />
      ) : null}
      {!overview.data && !overview.error ? <Loading /> : null}
      {overview.data ? <OverviewBody overview={overview.data} /> : null}
    </>
  );
}

function OverviewBody({ overview }: { overview: OverviewOut }) {
  const series = overviewSeries(overview);
  const totals = overviewTotals(overview);
  const age = oldestDueAge(overview.queue.oldestDueAt, Date.now());
  const label = overview.window === 'hour' ? 'the last hour' : 'the last day';
  const peak = Math.max(0, ...series.perMinute);
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Attempts in {label}</dt>
          <dd>{totals.attempts.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Failure ratio</dt>
          <dd>
            <Badge
              tone={
                totals.failureRatio === null
                  ? 'muted'
                  : totals.failureRatio < 0.05
                    ? 'good'
                    : totals.failureRatio < 0.25
                      ? 'warn'
                      : 'bad'
              }
            >
              {percent(totals.failureRatio)}
            </Badge>
          </dd>
        </div>
        <div>
          <dt>Queue: due now</dt>
          <dd>{overview.queue.due.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Oldest due delivery</dt>
          <dd>
            <Badge tone={age.tone}>
              {age.seconds === 0 ? 'none waiting' : `${duration(age.seconds * 1000)} late`}
            </Badge>
          </dd>
        </div>
        <div>
          <dt>Scheduled retries</dt>
          <dd>{overview.queue.scheduled.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Being sent</dt>
          <dd>{overview.queue.inFlight.toLocaleString()}</dd>
        </div>
        {overview.queue.held !== undefined ? (
          <div>
            <dt>Held (disabled endpoints)</dt>
            <dd>{overview.queue.held.toLocaleString()}</dd>
          </div>
        ) : null}
      </dl>
      <div className="grid grid-wide">
        <LineChart
          title="Deliveries per minute"
          summary={`${totals.attempts} attempts in ${label}, at most ${peak} per minute.`}
          x={series.x}
          series={[{ label: 'per minute', values: series.perMinute, color: '#2563eb' }]}
          yFormat={(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))}
        />
        <LineChart
          title="Failure ratio"
          summary={`${percent(totals.failureRatio)} of attempts failed in ${label}.`}
          x={series.x}
          series={[{ label: 'failed', values: series.failureRatio, color: '#dc2626' }]}
          yFormat={(v) => `${Math.round(v * 100)} %`}
          yMax={1}
        />
      </div>
      <section className="card" aria-labelledby="disabled-title">
        <h2 id="disabled-title">Endpoints disabled recently</h2>
        {overview.disabledEndpoints.length === 0 ? (
          <Empty>None. Every endpoint is taking deliveries.</Empty>
        ) : (
          <ul className="list">
            {overview.disabledEndpoints.map((e) => (
              <li key={e.endpointId}>
                <Link href={`/apps/${seg(e.appId)}/endpoints/${seg(e.endpointId)}`} className="url">
                  {e.url}
                </Link>{' '}
                <span className="muted">
                  {e.reason ?? 'disabled'} · <Time iso={e.disabledAt} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
