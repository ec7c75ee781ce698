import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Route, Router, Switch } from 'wouter';
import { ApiClient } from '../api/client.js';
import type { ApplicationOut } from '../api/types.js';
import { ErrorNote, Loading } from '../components/ui.js';
import { useQuery } from '../hooks/useQuery.js';
import { seg } from '../lib/query.js';
import {
  clearPortalSession,
  type EmbedOptions,
  embedOptions,
  type PortalSession,
  startPortalSession,
  textOnAccent,
} from '../lib/session.js';
import { AppNavLinks, AppRoutes } from '../pages/AppRoutes.js';
import { NavLink, Shell } from './Shell.js';
import { AppScopeProvider, type Session, SessionProvider } from './session.js';

const EMBED_KEY = 'herald.portal-embed';

const CatalogPage = lazy(() => import('../pages/CatalogPage.js').then((m) => ({ default: m.CatalogPage })));

/** Embed options from the link, remembered for the tab so a reload keeps the platform's look. */
function loadEmbed(): EmbedOptions {
  const fromLink = embedOptions(window.location.search);
  if (fromLink.embedded) {
    sessionStorage.setItem(EMBED_KEY, window.location.search);
    return fromLink;
  }
  return embedOptions(sessionStorage.getItem(EMBED_KEY) ?? '');
}

/** Takes the token out of the address bar before anything else can read or log the URL. */
function takeSession(): PortalSession | null {
  const { session, cleanUrl } = startPortalSession(window.location, sessionStorage);
  if (cleanUrl !== null) window.history.replaceState(window.history.state, '', cleanUrl);
  return session;
}

/**
 * The consumer portal at `/portal`: one application, opened with the scoped token that
 * `app-portal-access` put in the link's fragment. Embeddable: `?name=…&accent=…` brands it.
 */
export function PortalApp() {
  const [portal, setPortal] = useState<PortalSession | null>(takeSession);
  const [ended, setEnded] = useState<'expired' | 'signed-out' | null>(null);
  const embed = useMemo(loadEmbed, []);

  useEffect(() => {
    if (!embed.accent) return;
    const root = document.documentElement.style;
    root.setProperty('--accent', embed.accent);
    root.setProperty('--accent-text', textOnAccent(embed.accent));
  }, [embed.accent]);

  const session = useMemo<Session | null>(() => {
    if (!portal) return null;
    const end = (reason: 'expired' | 'signed-out') => {
      clearPortalSession(sessionStorage);
      setEnded(reason);
      setPortal(null);
    };
    const api = new ApiClient(portal.token, () => end('expired'));
    const signOut = () => {
      // Revoke the token server-side too; the session ends here whatever the answer.
      api.post('/api/v1/auth/logout').catch(() => {});
      end('signed-out');
    };
    return { api, face: 'portal', portalAppId: portal.appId, embed, signOut };
  }, [portal, embed]);

  if (!session || !portal) return <PortalGate reason={ended} embed={embed} />;
  return (
    <SessionProvider session={session}>
      <Router base="/portal">
        <PortalFrame appId={portal.appId} session={session} />
      </Router>
    </SessionProvider>
  );
}

function PortalFrame({ appId, session }: { appId: string; session: Session }) {
  const app = useQuery(`app:${appId}`, (signal) =>
    session.api.get<ApplicationOut>(`/api/v1/app/${seg(appId)}`, undefined, signal),
  );
  const title = session.embed.name ?? app.data?.name ?? 'Webhooks';
  useEffect(() => {
    document.title = `${title} · Webhooks`;
  }, [title]);

  return (
    <div className={session.embed.embedded ? 'embedded' : undefined}>
      <Shell
        brand={title}
        onSignOut={session.signOut}
        nav={
          <>
            <AppNavLinks />
            <NavLink href="/catalog">Event catalog</NavLink>
          </>
        }
      >
        {app.error ? (
          <ErrorNote error={app.error} />
        ) : !app.data ? (
          <Loading />
        ) : (
          <AppScopeProvider scope={{ appId: app.data.id, appName: app.data.name, home: '/portal' }}>
            <Suspense fallback={<Loading />}>
              <Switch>
                <Route path="/catalog" component={CatalogPage} />
                <Route>
                  <AppRoutes />
                </Route>
              </Switch>
            </Suspense>
          </AppScopeProvider>
        )}
      </Shell>
    </div>
  );
}

/** Shown without a usable token: the link was incomplete, expired, or the person signed out. */
function PortalGate({ reason, embed }: { reason: 'expired' | 'signed-out' | null; embed: EmbedOptions }) {
  const message =
    reason === 'signed-out'
      ? 'You have signed out of the webhooks portal.'
      : reason === 'expired'
        ? 'This portal session has expired.'
        : 'This portal link is incomplete or has already been used in another tab.';
  return (
    <main id="main" className="main gate">
      <h1>{embed.name ?? 'Webhooks portal'}</h1>
      <p role="alert">{message}</p>
      <p>Open the webhooks page from your account again to get a fresh link.</p>
    </main>
  );
}
