/**
 * The token a mailed link carries in its URL fragment (`#token=…`): never sent to a server by the
 * browser, so it reaches no log. Read once, then removed from the address bar and history.
 */
import { useEffect, useState } from 'react';
export function takeFragmentToken(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

/** Removes the fragment from the address shown (the page keeps what it read). */
export function forgetFragment(): void {
  if (window.location.hash) {
    window.history.replaceState(
      window.history.state,
      '',
      window.location.pathname + window.location.search,
    );
  }
}

/**
 * The fragment's token for a page: read on the first render, and again when the fragment changes
 * while the page is open (a mailed link opened in the tab that shows the page already).
 */
export function useFragmentToken(): string | null {
  const [token, setToken] = useState(takeFragmentToken);
  useEffect(() => {
    forgetFragment();
    const onHash = () => {
      const next = takeFragmentToken();
      if (next) {
        setToken(next);
        forgetFragment();
      }
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return token;
}
