import { lazy, Suspense } from 'react';
import { Link, Route, Switch } from 'wouter';
import type { EndpointOut } from '../api/types.js';
import { NavLink } from '../app/Shell.js';
import { useAppHref, useAppScope, useSession } from '../app/session.js';
import { Badge, ErrorNote, Loading, PageHeader } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { seg } from '../lib/query.js';
import { EndpointEditPage } from './EndpointEditPage.js';
import { EndpointOverview } from './EndpointOverview.js';
import { HistoryPage } from './HistoryPage.js';

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
