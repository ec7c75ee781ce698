import { lazy, Suspense, useMemo, useState } from 'react';
import { Route, Switch } from 'wouter';
import { ApiClient } from '../api/client.js';
import { Loading } from '../components/ui.js';
import { clearAdminToken, loadAdminToken } from '../lib/session.js';
import { ApplicationSection } from '../pages/ApplicationSection.js';
import { ApplicationsPage } from '../pages/ApplicationsPage.js';
import { NotFoundPage } from '../pages/NotFoundPage.js';
import { SignInPage } from '../pages/SignInPage.js';
import { NavLink, Shell } from './Shell.js';
import { type Session, SessionProvider } from './session.js';

const NO_EMBED = { name: null, accent: null, embedded: false };

const CatalogPage = lazy(() => import('../pages/CatalogPage.js').then((m) => ({ default: m.CatalogPage })));

const OverviewPage = lazy(() =>
  import('../pages/OverviewPage.js').then((m) => ({ default: m.OverviewPage })),
);

/** The operator's dashboard at `/`: sign in with the admin token, then every application. */
export function DashboardApp() {
  const [token, setToken] = useState(() => loadAdminToken(sessionStorage));
  const [expired, setExpired] = useState(false);

  const session = useMemo<Session | null>(() => {
    if (!token) return null;
    const signOut = () => {
      clearAdminToken(sessionStorage);
      setToken(null);
    };
    const api = new ApiClient(token, () => {
      setExpired(true);
      signOut();
    });
    return { api, face: 'dashboard', portalAppId: null, embed: NO_EMBED, signOut };
  }, [token]);

  if (!session)
    return (
      <SignInPage
        expired={expired}
        onSignedIn={(value) => {
          setExpired(false);
          setToken(value);
        }}
      />
    );

  return (
    <SessionProvider session={session}>
      <Shell
        brand="Herald"
        onSignOut={session.signOut}
        nav={
          <>
            <NavLink href="/" exact>
              Overview
            </NavLink>
            <NavLink href="/apps">Applications</NavLink>
            <NavLink href="/catalog">Event catalog</NavLink>
          </>
        }
      >
        <Suspense fallback={<Loading />}>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/apps" component={ApplicationsPage} />
            <Route path="/apps/:appId" nest>
              {(params) => <ApplicationSection appId={params.appId} />}
            </Route>
            <Route path="/catalog" component={CatalogPage} />
            <Route component={NotFoundPage} />
          </Switch>
        </Suspense>
      </Shell>
    </SessionProvider>
  );
}
