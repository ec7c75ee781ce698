import { useState } from 'react';
import { Link } from 'wouter';
import type { ApplicationOut, AppPortalAccessOut } from '../api/types.js';
import { AppScopeProvider, useSession } from '../app/session.js';
import { CopyButton, ErrorNote, Loading } from '../components/ui.js';
import { useAction, useQuery } from '../hooks/useQuery.js';
import { seg } from '../lib/query.js';
import { AppNavLinks, AppRoutes } from './AppRoutes.js';

/** One application on the dashboard: its name, a consumer-portal link, and its pages. */
export function ApplicationSection({ appId }: { appId: string }) {
  const { api } = useSession();
  const app = useQuery(`app:${appId}`, (signal) =>
    api.get<ApplicationOut>(`/api/v1/app/${seg(appId)}`, undefined, signal),
  );
  if (app.error)
    return (
      <>
        <p className="breadcrumbs">
          <Link href="~/apps">Applications</Link>
        </p>
        <ErrorNote error={app.error} />
      </>
    );
  if (!app.data) return <Loading />;
  return (
    <AppScopeProvider scope={{ appId: app.data.id, appName: app.data.name, home: `/apps/${seg(appId)}` }}>
      <div className="app-bar">
        <p className="breadcrumbs">
          <Link href="~/apps">Applications</Link> / <span>{app.data.name}</span>{' '}
          <span className="mono muted">{app.data.uid ?? app.data.id}</span>
        </p>
        <nav aria-label="Application" className="tabs">
          <AppNavLinks />
        </nav>
        <PortalLink appId={app.data.id} />
      </div>
      <AppRoutes />
    </AppScopeProvider>
  );
}

/** Makes a consumer-portal link for the application, to open or hand to the customer. */
function PortalLink({ appId }: { appId: string }) {
  const { api } = useSession();
  const [link, setLink] = useState<string | null>(null);
  const access = useAction(() =>
    api.post<AppPortalAccessOut>(`/api/v1/auth/app-portal-access/${seg(appId)}`, {}),
  );
  const make = async () => {
    const result = await access.run();
    if (!result) return;
    // The link names the server Herald thinks it is on; the browser knows the address it used.
    const url = new URL(result.url);
    setLink(`${window.location.origin}${url.pathname}${url.search}${url.hash}`);
  };
  return (
    <div className="portal-link">
      {link ? (
        <>
          <a href={link} target="_blank" rel="noreferrer" className="button button-small">
            Open consumer portal
          </a>
          <CopyButton text={link} label="Copy portal link" />
        </>
      ) : (
        <button type="button" className="button button-small" onClick={make} disabled={access.pending}>
          Consumer portal link
        </button>
      )}
      <ErrorNote error={access.error} />
    </div>
  );
}
