/**
 * The portal's frame: a header with the register's name and the language switcher, the page for
 * the current path, and a footer with the staff console and the API documentation. Pages: the
 * register's published summary (/), the request form (/requests/new), "check your mail"
 * (/requests/sent), the verification page a mailed link opens (/requests/verify#token=…), and
 * the download page (/requests/download, with #token=… from a mailed link), and the marketing
 * choices (/preferences, /signup, /signup/confirm: pages/Marketing.tsx).
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useApi } from '../shared/api-context.tsx';
import { Link, Route, Switch } from '../shared/router.tsx';
import type { Definition } from '../shared/api.ts';
import {
  LanguageSwitcher,
  PageHeading,
  QueryState,
  SkipLink,
  type QueryLike,
} from '../shared/ui.tsx';
import { useI18n } from './i18n.ts';
import { DownloadPage } from './pages/Download.tsx';
import { PreferencesPage, SignUpConfirmPage, SignUpPage } from './pages/Marketing.tsx';
import { RequestFormPage, RequestSentPage } from './pages/RequestForm.tsx';
import { Summary } from './pages/Summary.tsx';
import { VerifyPage } from './pages/Verify.tsx';

export function Portal() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const definition = useQuery({ queryKey: ['definition'], queryFn: () => api.definition() });

  const title = definition.data ? i18n.loc(definition.data.name) : p('portal.title');

  return (
    <div className="portal">
      <SkipLink />
      <header className="topbar">
        <div className="brand">
          <Link to="/" className="brand-name">
            {definition.data?.controller.name ?? 'Rekisteri'}
          </Link>
          <span className="brand-sub">{title}</span>
        </div>
        <div className="topbar-tools">
          <LanguageSwitcher id="portal-language" />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="portal-main">
        <Switch>
          <Route path="/requests/new">
            <RequestFormPage definition={definition} />
          </Route>
          <Route path="/requests/sent">
            <RequestSentPage />
          </Route>
          <Route path="/requests/verify">
            <VerifyPage />
          </Route>
          <Route path="/requests/download">
            <DownloadPage />
          </Route>
          <Route path="/preferences">
            <PreferencesPage />
          </Route>
          <Route path="/signup/confirm">
            <SignUpConfirmPage />
          </Route>
          <Route path="/signup">
            <SignUpPage />
          </Route>
          <Route>
            <SummaryPage title={title} definition={definition} />
          </Route>
        </Switch>
      </main>
      <footer className="portal-footer">
        <ul>
          <li>
            <Link to="/requests/new">{p('portal.makeRequest')}</Link>
          </li>
          <li>
            <Link to="/signup">{p('portal.signup')}</Link>
          </li>
          <li>
            <Link to="/preferences">{p('portal.preferences')}</Link>
          </li>
          <li>
            <a href="/admin/">{p('portal.staff')}</a>
          </li>
          <li>
            <a href="/api/docs">{p('portal.api')}</a>
          </li>
        </ul>
      </footer>
    </div>
  );
}

function SummaryPage({ title, definition }: { title: string; definition: QueryLike<Definition> }) {
  const p = useI18n().t;
  useEffect(() => {
    document.title = title;
  }, [title]);
  return (
    <>
      <PageHeading title={p('portal.title')}>{p('portal.title')}</PageHeading>
      <QueryState query={definition}>{(def) => <Summary def={def} />}</QueryState>
    </>
  );
}
