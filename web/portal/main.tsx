/**
 * The public portal: what this register keeps about people, why, on which basis, who receives it
 * and for how long (GET /api/v1/definition), in Swedish, Finnish and English. Later it will be
 * where a person signs in to see and use their rights.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, createApiClient } from '../shared/api.ts';
import { ApiProvider } from '../shared/api-context.tsx';
import { I18nProvider } from '../shared/i18n.ts';
import { RouterProvider } from '../shared/router.tsx';
import { createPortalI18n } from './i18n.ts';
import { AnnouncerProvider } from '../shared/ui.tsx';
import { Portal } from './Portal.tsx';
import '../shared/styles.css';
import './portal.css';

const api = createApiClient('/api/v1');
const i18n = createPortalI18n();
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (failures, error) => !(error instanceof ApiError) && failures < 2,
      refetchOnWindowFocus: false,
      staleTime: Infinity,
    },
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
          <RouterProvider base="">
            <AnnouncerProvider>
              <Portal />
            </AnnouncerProvider>
          </RouterProvider>
        </I18nProvider>
      </QueryClientProvider>
    </ApiProvider>
  </StrictMode>,
);
