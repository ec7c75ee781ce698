import { Link } from 'wouter';
import type { EndpointHeadersOut, EndpointOut, EndpointStats } from '../api/types.js';
import { useSession } from '../app/session.js';
import { Badge, ErrorNote, KeyValues, Note, Time } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { duration, endpointHealth, percent, successRatio } from '../lib/format.js';
import { EndpointDeliveryChart, RetrySchedule } from './EndpointActivity.js';
import { EndpointDangerZone, type EndpointPanelProps } from './EndpointDangerZone.js';
import { EndpointSecret } from './EndpointSecret.js';
import { RecoverPanel } from './RecoverPanel.js';
import { ReplayPanel } from './ReplayPanel.js';

/** An endpoint's overview tab: its deliveries, health, secret, settings, recovery and danger zone. */
export function EndpointOverview({ endpoint, path, onChanged }: EndpointPanelProps) {
  return (
    <div className="grid">
      <EndpointDeliveryChart path={path} />
      <EndpointHealth endpoint={endpoint} path={path} />
      <EndpointSecret path={path} />
      <EndpointSettingsSummary endpoint={endpoint} path={path} />
      <RetrySchedule path={path} />
      <RecoverPanel endpoint={endpoint} path={path} />
      <ReplayPanel endpoint={endpoint} path={path} />

      <EndpointDangerZone endpoint={endpoint} path={path} onChanged={onChanged} />
    </div>
  );
}

/** Health: the verdict, how the workers deliver to it now, why it is disabled, and its figures. */
function EndpointHealth({ endpoint, path }: { endpoint: EndpointOut; path: string }) {
  const { api } = useSession();
  const stats = useQuery(`stats:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointStats>(`${path}/stats`, undefined, signal),
  );
  const ratio = successRatio(stats.data);
  const health = endpointHealth(endpoint.disabled, ratio);
  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <p>
        <Badge tone={health.tone}>{health.label}</Badge>{' '}
        <DeliveryStateBadge state={stats.data?.deliveryState} />{' '}
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
      {stats.data?.ordering?.blockedKeys ? <BlockedKeysNote ordering={stats.data.ordering} /> : null}
      {stats.data ? <EndpointStatsList stats={stats.data} /> : null}
    </section>
  );
}

/** How the endpoint orders its deliveries, in words. */
function orderingSummary(endpoint: EndpointOut): string {
  if (endpoint.ordering !== 'fifo') return 'As they come';
  const onExhausted =
    endpoint.fifoOnExhausted === 'skip'
      ? 'skips a message that exhausts its retries'
      : 'blocks a key on a message that exhausts its retries';
  const batch =
    (endpoint.fifoBatchSize ?? 1) > 1 ? `, up to ${endpoint.fifoBatchSize} messages per request` : '';
  return `FIFO per ordering key; ${onExhausted}${batch}`;
}

/** Blocked FIFO keys: how many, and the message to recover or resend to resume the oldest. */
function BlockedKeysNote({ ordering }: { ordering: NonNullable<EndpointStats['ordering']> }) {
  const oldest = ordering.oldestBlocked;
  return (
    <Note tone="warn">
      {ordering.blockedKeys} ordering {ordering.blockedKeys === 1 ? 'key is' : 'keys are'} blocked behind a
      message that exhausted its retries.
      {oldest ? (
        <>
          {' '}
          Oldest: <code>{oldest.msgId}</code> (key <code>{oldest.orderingKey ?? 'default'}</code>, since{' '}
          <Time iso={oldest.blockedSince} />
          ). Recover or resend it to resume its key in order.
        </>
      ) : null}
    </Note>
  );
}

/** A badge when the workers hold back on the endpoint (circuit open or slowed); nothing otherwise. */
function DeliveryStateBadge({ state }: { state: EndpointStats['deliveryState'] | undefined }) {
  if (state === 'circuit_open') return <Badge tone="bad">Circuit open: one request at a time</Badge>;
  if (state === 'slowed') return <Badge tone="warn">Slowed: fewer requests at once</Badge>;
  return null;
}

/** Delivery counts, the last hour's attempts, the failing streak and the last success and failure. */
function EndpointStatsList({ stats }: { stats: EndpointStats }) {
  return (
    <dl className="stats">
      <div>
        <dt>Succeeded</dt>
        <dd>{stats.success}</dd>
      </div>
      <div>
        <dt>Failed</dt>
        <dd>{stats.fail}</dd>
      </div>
      <div>
        <dt>Pending</dt>
        <dd>{stats.pending + stats.sending}</dd>
      </div>
      {stats.lastHour ? (
        <div>
          <dt>Last hour</dt>
          <dd>
            {stats.lastHour.attempts} attempts, {percent(stats.lastHour.successRatio)} ok, p95{' '}
            {duration(stats.lastHour.latencyMs.p95)}
          </dd>
        </div>
      ) : null}
      {stats.ordering && (stats.ordering.waitingKeys > 0 || stats.ordering.blockedKeys > 0) ? (
        <div>
          <dt>Ordering keys</dt>
          <dd>
            {stats.ordering.waitingKeys} waiting, {stats.ordering.blockedKeys} blocked
          </dd>
        </div>
      ) : null}
      {stats.consecutiveFailures ? (
        <div>
          <dt>Failing streak</dt>
          <dd>
            {stats.consecutiveFailures} in a row, since <Time iso={stats.failingSince} />
          </dd>
        </div>
      ) : null}
      <div>
        <dt>Last success</dt>
        <dd>
          <Time iso={stats.lastSuccessAt} />
        </dd>
      </div>
      <div>
        <dt>Last failure</dt>
        <dd>
          <Time iso={stats.lastFailureAt} />
        </dd>
      </div>
    </dl>
  );
}

/** The settings at a glance (filters, rate limit, custom headers), with a link to edit them. */
function EndpointSettingsSummary({ endpoint, path }: { endpoint: EndpointOut; path: string }) {
  const { api } = useSession();
  const headers = useQuery(`headers:${endpoint.id}:${endpoint.updatedAt}`, (signal) =>
    api.get<EndpointHeadersOut>(`${path}/headers`, undefined, signal),
  );
  const types = endpoint.eventTypes ?? endpoint.filterTypes ?? null;
  const rate = endpoint.throttleRate ?? endpoint.rateLimit ?? null;
  return (
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
          <dt>Ordering</dt>
          <dd>{orderingSummary(endpoint)}</dd>
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
  );
}
