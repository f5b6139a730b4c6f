/**
 * Routing on wouter, under a base path (/admin for the console, none for the portal). App paths
 * are written without the base (`/people/123?purpose=x`); links are real <a href> so that opening
 * in a new tab works. On top of wouter, a navigation key: it increases when the path changes
 * (a link, Back, Forward) or a navigation asks for focus, and the page heading takes focus when
 * it does; the same page with other parameters (a replace) keeps focus where it is.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { AnchorHTMLAttributes, ReactNode } from 'react';
import { Link as WouterLink, Route, Router, Switch, useLocation } from 'wouter';
import { useSearch } from 'wouter/use-browser-location';

export { Route, Switch };

export interface Location {
  /** Path inside the app, always starting with `/`. */
  path: string;
  query: URLSearchParams;
  /** Increases on every navigation to another page inside the app. */
  key: number;
}

export interface NavigateOptions {
  /** Replace the history entry instead of adding one. */
  replace?: boolean;
  /** Move focus to the new page's heading; by default only when not replacing. */
  focus?: boolean;
}

interface NavigationValue {
  key: number;
  bump: () => void;
}

const NavigationContext = createContext<NavigationValue>({ key: 0, bump: () => undefined });

function NavigationKey({ children }: { children: ReactNode }) {
  const [path] = useLocation();
  const [state, setState] = useState({ path, key: 0 });
  const popped = useRef(false);
  let key = state.key;
  if (state.path !== path) {
    // Another page: derived during render, so the page and its heading see the new key at once.
    key = state.key + 1;
    setState({ path, key });
  }
  const bump = useCallback(() => setState((s) => ({ ...s, key: s.key + 1 })), []);

  useEffect(() => {
    const onPop = () => {
      popped.current = true;
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    // A new page starts at its top; Back and Forward leave the browser's own scroll position.
    if (key > 0 && !popped.current) {
      window.scrollTo(0, 0);
    }
    popped.current = false;
  }, [key]);

  const value = useMemo(() => ({ key, bump }), [key, bump]);
  return <NavigationContext.Provider value={value}>{children}</NavigationContext.Provider>;
}

export function RouterProvider({ base, children }: { base: string; children: ReactNode }) {
  return (
    <Router base={base}>
      <NavigationKey>{children}</NavigationKey>
    </Router>
  );
}

export function useRouter(): {
  location: Location;
  navigate: (to: string, opts?: NavigateOptions) => void;
} {
  const [path, go] = useLocation();
  const search = useSearch();
  const { key, bump } = useContext(NavigationContext);
  const query = useMemo(() => new URLSearchParams(search), [search]);
  const navigate = useCallback(
    (to: string, opts: NavigateOptions = {}) => {
      go(to, { replace: opts.replace === true });
      if (opts.focus ?? !opts.replace) {
        bump();
      }
    },
    [go, bump],
  );
  return { location: { path, query, key }, navigate };
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

/** A link inside the app (`to` without the base); modified clicks open as the browser does. */
export function Link({ to, ...rest }: LinkProps) {
  return <WouterLink href={to} {...rest} />;
}
