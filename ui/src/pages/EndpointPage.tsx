import { lazy, Suspense } from 'react';
import { Link, Route, Switch } from 'wouter';
import type { EndpointHeadersOut, EndpointOut, EndpointStats } from '../api/types.js';
import { NavLink } from '../app/Shell.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { Badge, ErrorNote, KeyValues, Loading, Note, PageHeader, Time } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { duration, endpointHealth, percent, successRatio } from '../lib/format.js';
import { seg } from '../lib/query.js';
import { EndpointDeliveryChart, RetrySchedule } from './EndpointActivity.js';
import { EndpointDangerZone, type EndpointPanelProps } from './EndpointDangerZone.js';
import { EndpointEditPage } from './EndpointEditPage.js';
import { EndpointSecret } from './EndpointSecret.js';
import { HistoryPage } from './HistoryPage.js';
import { RecoverPanel } from './RecoverPanel.js';
import { ReplayPanel } from './ReplayPanel.js';

// The test page brings the JSON editor and schema validator: loaded only when opened.
const TestDeliveryPage = lazy(() =>
  import('./TestDeliveryPage.js').then((m) => ({ default: m.TestDeliveryPage })),
);

/** One endpoint: overview, settings, test delivery and its attempts, as tabs. */
export function EndpointPage({ endpointId }: { endpointId: string }) {
  const { api } = useSession();
  const { appId } = useAppScope();
  const path = `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}`;
  const endpoint = useQuery(`endpoint:${endpointId}`, (signal) =>
    api.get<EndpointOut>(path, undefined, signal),
  );
  const appHref = useAppHref();

  if (endpoint.error)
    return (
      <>
        <p className="breadcrumbs">
          <Link href={appHref('/')}>Endpoints</Link>
        </p>
        <ErrorNote error={endpoint.error} />
      </>
    );
  if (!endpoint.data) return <Loading />;
  const ep = endpoint.data;
  return (
    <>
      <p className="breadcrumbs">
        <Link href={appHref('/')}>Endpoints</Link> / <span className="mono">{ep.id}</span>
      </p>
      <PageHeader
        title={<span className="url">{ep.url}</span>}
        subtitle={ep.description || undefined}
        actions={ep.disabled ? <Badge tone="muted">Disabled</Badge> : <Badge tone="good">Enabled</Badge>}
      />
      <nav aria-label="Endpoint" className="tabs">
        <NavLink href="/" exact>
          Overview
        </NavLink>
        <NavLink href="/test">Test</NavLink>
        <NavLink href="/attempts">Attempts</NavLink>
        <NavLink href="/edit">Settings</NavLink>
      </nav>
      <Switch>
        <Route path="/">
          <EndpointOverview endpoint={ep} path={path} onChanged={endpoint.reload} />
        </Route>
        <Route path="/test">
          <Suspense fallback={<Loading />}>
            <TestDeliveryPage endpoint={ep} />
          </Suspense>
        </Route>
        <Route path="/attempts">
          <HistoryPage endpointId={ep.id} />
        </Route>
        <Route path="/edit">
          <EndpointEditPage endpoint={ep} path={path} onSaved={endpoint.reload} />
        </Route>
      </Switch>
    </>
  );
}

function EndpointOverview({ endpoint, path, onChanged }: EndpointPanelProps) {
  const { api } = useSession();
  const stats = useQuery(`stats:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointStats>(`${path}/stats`, undefined, signal),
  );
  const headers = useQuery(`headers:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointHeadersOut>(`${path}/headers`, undefined, signal),
  );
  const ratio = successRatio(stats.data);
  const health = endpointHealth(endpoint.disabled, ratio);
  const types = endpoint.eventTypes ?? endpoint.filterTypes ?? null;
  const rate = endpoint.throttleRate ?? endpoint.rateLimit ?? null;

  return (
    <div className="grid">
      <EndpointDeliveryChart path={path} />
      <section className="card" aria-labelledby="health-title">
        <h2 id="health-title">Health</h2>
        <p>
          <Badge tone={health.tone}>{health.label}</Badge>{' '}
          {stats.data?.deliveryState === 'circuit_open' ? (
            <Badge tone="bad">Circuit open: one request at a time</Badge>
          ) : stats.data?.deliveryState === 'slowed' ? (
            <Badge tone="warn">Slowed: fewer requests at once</Badge>
          ) : null}{' '}
          {ratio !== null ? `${percent(ratio)} succeeded` : null}
        </p>
        {endpoint.disabled ? (
          <Note tone="warn">
            Disabled{endpoint.disabledReason ? `: ${endpoint.disabledReason}` : '.'} Messages for it are kept
            and sent once it is enabled again.
          </Note>
        ) : null}
        {stats.error ? (
          <p className="muted">
            {stats.error.missingRoute ? 'Statistics are not available on this server.' : stats.error.message}
          </p>
        ) : null}
        {stats.data ? (
          <dl className="stats">
            <div>
              <dt>Succeeded</dt>
              <dd>{stats.data.success}</dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd>{stats.data.fail}</dd>
            </div>
            <div>
              <dt>Pending</dt>
              <dd>{stats.data.pending + stats.data.sending}</dd>
            </div>
            {stats.data.lastHour ? (
              <div>
                <dt>Last hour</dt>
                <dd>
                  {stats.data.lastHour.attempts} attempts, {percent(stats.data.lastHour.successRatio)} ok, p95{' '}
                  {duration(stats.data.lastHour.latencyMs.p95)}
                </dd>
              </div>
            ) : null}
            {stats.data.consecutiveFailures ? (
              <div>
                <dt>Failing streak</dt>
                <dd>
                  {stats.data.consecutiveFailures} in a row, since <Time iso={stats.data.failingSince} />
                </dd>
              </div>
            ) : null}
            <div>
              <dt>Last success</dt>
              <dd>
                <Time iso={stats.data.lastSuccessAt} />
              </dd>
            </div>
            <div>
              <dt>Last failure</dt>
              <dd>
                <Time iso={stats.data.lastFailureAt} />
              </dd>
            </div>
          </dl>
        ) : null}
      </section>

      <EndpointSecret path={path} />

      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <dl className="kv">
          <div>
            <dt>Event types</dt>
            <dd>{types ? types.join(', ') : 'All'}</dd>
          </div>
          <div>
            <dt>Channels</dt>
            <dd>{endpoint.channels?.join(', ') || 'All'}</dd>
          </div>
          <div>
            <dt>Rate limit</dt>
            <dd>{rate ? `${rate} per second` : 'None'}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <Time iso={endpoint.createdAt} />
            </dd>
          </div>
        </dl>
        <h3>Custom headers</h3>
        {headers.error ? <ErrorNote error={headers.error} /> : null}
        {headers.data ? (
          <KeyValues
            entries={[
              ...Object.entries(headers.data.headers),
              ...headers.data.sensitive.map((name): [string, string] => [name, '•••• (hidden)']),
            ]}
            empty="None."
          />
        ) : null}
        <Link href="/edit" className="button button-small">
          Edit settings
        </Link>
      </section>

      <RetrySchedule path={path} />
      <RecoverPanel endpoint={endpoint} path={path} />
      <ReplayPanel endpoint={endpoint} path={path} />

      <EndpointDangerZone endpoint={endpoint} path={path} onChanged={onChanged} />
    </div>
  );
}
