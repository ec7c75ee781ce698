import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';

/**
 * A navigation link that marks the current section with `aria-current`: its own path (exactly,
 * or with what lies below it), or any of the `also` sections that belong to it.
 */
export function NavLink({
  href,
  exact = false,
  also = [],
  children,
}: {
  href: string;
  exact?: boolean;
  also?: string[];
  children: ReactNode;
}) {
  const [location] = useLocation();
  const under = (path: string) => location === path || location.startsWith(`${path}/`);
  const active = (exact ? location === href : under(href)) || also.some(under);
  return (
    <Link href={href} className="nav-link" aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/**
 * The page frame: a skip link, the top bar with the brand (linking home), navigation and
 * sign-out, and the main region.
 */
export function Shell({
  brand,
  nav,
  onSignOut,
  children,
}: {
  brand: ReactNode;
  nav: ReactNode;
  onSignOut(): void;
  children: ReactNode;
}) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand">
            {brand}
          </Link>
          <nav aria-label="Main" className="nav">
            {nav}
          </nav>
          <div className="topbar-end">
            <button type="button" className="button button-quiet" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="main">
        {children}
      </main>
    </>
  );
}
