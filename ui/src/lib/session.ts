/**
 * Where the UI keeps its token, and how the portal reads the one its link carries. Tokens live
 * in sessionStorage: gone when the tab closes, never in a URL the server or its logs see. The
 * portal link carries its token in the fragment (`/portal#token=…&app=…`), which browsers never
 * send; the app moves it into sessionStorage and removes it from the address bar.
 */

/** The part of the Web Storage API the UI uses (sessionStorage in the browser, a Map in tests). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const ADMIN_KEY = 'herald.admin-token';
const PORTAL_KEY = 'herald.portal';

/** A consumer-portal session: the scoped token and the one application it opens. */
export interface PortalSession {
  token: string;
  appId: string;
}

/** Checks what was pasted into the sign-in field; returns the problem, or null when usable. */
export function adminTokenProblem(token: string): string | null {
  if (!token.trim()) return 'Paste the admin token Herald printed at first start (also in data/admin-token).';
  if (/\s/.test(token.trim())) return 'A token has no spaces or line breaks inside it.';
  return null;
}

export function loadAdminToken(storage: TokenStorage): string | null {
  return storage.getItem(ADMIN_KEY);
}

export function saveAdminToken(storage: TokenStorage, token: string): void {
  storage.setItem(ADMIN_KEY, token.trim());
}

export function clearAdminToken(storage: TokenStorage): void {
  storage.removeItem(ADMIN_KEY);
}

/** Reads `#token=…&app=…`; null when the fragment does not carry both. */
export function readPortalFragment(hash: string): PortalSession | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const appId = params.get('app');
  if (!token || !appId) return null;
  return { token, appId };
}

export function loadPortalSession(storage: TokenStorage): PortalSession | null {
  const raw = storage.getItem(PORTAL_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<PortalSession>;
    return typeof parsed.token === 'string' && typeof parsed.appId === 'string'
      ? { token: parsed.token, appId: parsed.appId }
      : null;
  } catch {
    return null;
  }
}

export function savePortalSession(storage: TokenStorage, session: PortalSession): void {
  storage.setItem(PORTAL_KEY, JSON.stringify(session));
}

export function clearPortalSession(storage: TokenStorage): void {
  storage.removeItem(PORTAL_KEY);
}

/**
 * The portal session to use on load: a token in the fragment wins (a fresh link replaces an
 * older session), else the one kept in this tab. `cleanUrl` is the address without the
 * fragment, for `history.replaceState`, or null when there was nothing to remove.
 */
export function startPortalSession(
  location: { pathname: string; search: string; hash: string },
  storage: TokenStorage,
): { session: PortalSession | null; cleanUrl: string | null } {
  const fromLink = readPortalFragment(location.hash);
  if (fromLink) {
    savePortalSession(storage, fromLink);
    return { session: fromLink, cleanUrl: location.pathname + location.search };
  }
  return { session: loadPortalSession(storage), cleanUrl: null };
}

/** How the portal looks when a platform embeds it: its name and accent colour. */
export interface EmbedOptions {
  name: string | null;
  /** A `#rgb` / `#rrggbb` colour, or null to keep Herald's own. */
  accent: string | null;
  /** True when either was given: the portal then drops Herald's own chrome. */
  embedded: boolean;
}

/**
 * Reads `?name=…&accent=…`. The accent must be a hex colour (with or without `#`) so that no
 * other CSS can be injected through the link; the name is shown as text, trimmed to 60 characters.
 */
export function embedOptions(search: string): EmbedOptions {
  const params = new URLSearchParams(search);
  const name = params.get('name')?.trim().slice(0, 60) || null;
  const rawAccent = params.get('accent')?.trim() ?? '';
  const hex = rawAccent.replace(/^#/, '');
  const accent = /^([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(hex) ? `#${hex.toLowerCase()}` : null;
  return { name, accent, embedded: name !== null || accent !== null };
}

/**
 * Black or white, whichever reads better on the accent colour (WCAG relative luminance), for
 * the text of accent-coloured buttons.
 */
export function textOnAccent(accent: string): '#000000' | '#ffffff' {
  let hex = accent.replace(/^#/, '');
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}
