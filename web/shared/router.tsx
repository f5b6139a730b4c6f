/**
 * History routing under a base path (/admin for the console): app paths are written without the
 * base (`/people/123?purpose=x`), links are real <a href> so that opening in a new tab works, and
 * each navigation bumps a counter the page heading uses to take focus.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';

export interface Location {
  /** Path inside the app, always starting with `/`. */
  path: string;
  query: URLSearchParams;
  /** Increases on every navigation inside the app. */
  key: number;
}

export interface NavigateOptions {
  /** Replace the history entry instead of adding one. */
  replace?: boolean;
  /** Move focus to the new page's heading; by default only when not replacing. */
  focus?: boolean;
}

interface RouterValue {
  location: Location;
  base: string;
  navigate: (to: string, opts?: NavigateOptions) => void;
  href: (to: string) => string;
}

const RouterContext = createContext<RouterValue | null>(null);

function read(base: string, key: number): Location {
  let path = window.location.pathname;
  if (path.startsWith(base)) {
    path = path.slice(base.length);
  }
  if (!path.startsWith('/')) {
    path = `/${path}`;
  }
  return { path, query: new URLSearchParams(window.location.search), key };
}

export function RouterProvider({ base, children }: { base: string; children: ReactNode }) {
  const [location, setLocation] = useState<Location>(() => read(base, 0));

  useEffect(() => {
    const onPop = () => setLocation((prev) => read(base, prev.key + 1));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [base]);

  const href = useCallback((to: string) => `${base}${to.startsWith('/') ? to : `/${to}`}`, [base]);

  const navigate = useCallback(
    (to: string, opts: NavigateOptions = {}) => {
      const url = href(to);
      if (opts.replace) {
        window.history.replaceState(null, '', url);
      } else {
        window.history.pushState(null, '', url);
        window.scrollTo(0, 0);
      }
      // A new page takes focus; the same page with other parameters (a replace) keeps it.
      const focus = opts.focus ?? !opts.replace;
      setLocation((prev) => read(base, focus ? prev.key + 1 : prev.key));
    },
    [base, href],
  );

  const value = useMemo(
    () => ({ location, base, navigate, href }),
    [location, base, navigate, href],
  );
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const ctx = useContext(RouterContext);
  if (!ctx) {
    throw new Error('useRouter outside RouterProvider');
  }
  return ctx;
}

/** Matches `/people/:id` against a path; returns the parameters or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    const actual = s[i] as string;
    if (seg.startsWith(':')) {
      params[seg.slice(1)] = decodeURIComponent(actual);
    } else if (seg !== actual) {
      return null;
    }
  }
  return params;
}

/** Builds `path?a=1&b=2`, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v) {
      params.set(k, v);
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const { navigate, href } = useRouter();
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (
      e.defaultPrevented ||
      e.button !== 0 ||
      e.metaKey ||
      e.ctrlKey ||
      e.shiftKey ||
      e.altKey ||
      rest.target
    ) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return <a href={href(to)} onClick={handle} {...rest} />;
}
