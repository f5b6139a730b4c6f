/**
 * The staff console: sign-in, people, the access log, staff and roles, the account.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, createApiClient } from '../shared/api.ts';
import { ApiProvider } from '../shared/api-context.tsx';
import { I18nProvider } from '../shared/i18n.ts';
import { createConsoleI18n } from './i18n.ts';
import { RouterProvider } from '../shared/router.tsx';
import { AnnouncerProvider } from '../shared/ui.tsx';
import { App } from './App.tsx';
import '../shared/styles.css';

const api = createApiClient('/api/v1');
const i18n = createConsoleI18n();
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal or a missing record will not change by asking again; a network blip may.
      retry: (failures, error) => !(error instanceof ApiError) && failures < 2,
      refetchOnWindowFocus: false,
      staleTime: 30_000,
    },
    mutations: { retry: false },
  },
});

const root = document.getElementById('root');
if (!root) {
  throw new Error('index.html has no #root');
}
createRoot(root).render(
  <StrictMode>
    <ApiProvider api={api}>
      <QueryClientProvider client={queryClient}>
        <I18nProvider i18n={i18n}>
          <RouterProvider base="/admin">
            <AnnouncerProvider>
              <App />
            </AnnouncerProvider>
          </RouterProvider>
        </I18nProvider>
      </QueryClientProvider>
    </ApiProvider>
  </StrictMode>,
);
