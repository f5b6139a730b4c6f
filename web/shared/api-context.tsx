/**
 * The API client for React components: one client per app, given at the root.
 */
import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import type { ApiClient } from './api.ts';

const ApiContext = createContext<ApiClient | null>(null);

export function ApiProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) {
    throw new Error('useApi outside ApiProvider');
  }
  return api;
}
