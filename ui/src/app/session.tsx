import { createContext, type ReactNode, useContext } from 'react';
import type { ApiClient } from '../api/client.js';
import type { EmbedOptions } from '../lib/session.js';

/** Who is using the UI: the operator (admin token, every application) or one application's portal. */
export interface Session {
  api: ApiClient;
  face: 'dashboard' | 'portal';
  /** The portal's one application; null on the dashboard. */
  portalAppId: string | null;
  embed: EmbedOptions;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The current session; every page below the sign-in has one. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a SessionProvider');
  return session;
}

/** The application a page belongs to (from the dashboard's path or the portal's token). */
export interface AppScope {
  appId: string;
  appName: string;
  /** The application's pages' absolute base: `/apps/{id}` on the dashboard, `/portal` in the portal. */
  home: string;
}

const AppScopeContext = createContext<AppScope | null>(null);

export function AppScopeProvider({ scope, children }: { scope: AppScope; children: ReactNode }) {
  return <AppScopeContext.Provider value={scope}>{children}</AppScopeContext.Provider>;
}

export function useAppScope(): AppScope {
  const scope = useContext(AppScopeContext);
  if (!scope) throw new Error('useAppScope outside an application');
  return scope;
}

/**
 * An absolute link to one of the application's pages (`/history`, `/endpoints/x`) that works from
 * any nesting depth (wouter's `~` prefix escapes nested routes).
 */
export function useAppHref(): (path: string) => string {
  const { home } = useAppScope();
  return (path) => `~${home}${path === '/' ? '' : path}`;
}
