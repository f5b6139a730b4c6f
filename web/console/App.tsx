/**
 * The console's frame: who is signed in, the header with the language switcher, the navigation
 * (a side bar, a collapsible top bar on narrow screens) and the page for the current path.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Me } from '../shared/api.ts';
import { useApi } from '../shared/api-context.tsx';
import { useI18n } from './i18n.ts';
import type { MessageKey } from './i18n.ts';
import { Link, Route, Switch, useRouter } from '../shared/router.tsx';
import {
  Button,
  LanguageSwitcher,
  PageHeading,
  QueryState,
  SkipLink,
  useAnnounce,
} from '../shared/ui.tsx';
import { AccessLogPage } from './pages/AccessLog.tsx';
import { AccountPage } from './pages/Account.tsx';
import { AddressListsPage } from './pages/AddressLists.tsx';
import { AudiencesPage } from './pages/Audiences.tsx';
import { CampaignsPage } from './pages/Campaigns.tsx';
import { FirstPasswordPage } from './pages/FirstPassword.tsx';
import { OutboxPage } from './pages/Outbox.tsx';
import { PersonPage } from './pages/Person.tsx';
import { LetterPage } from './pages/Letter.tsx';
import { RequestPage } from './pages/Request.tsx';
import { RegisterPage } from './pages/Register.tsx';
import { NoticePage } from './pages/Notice.tsx';
import { RetentionPage } from './pages/Retention.tsx';
import { StatisticsPage } from './pages/Statistics.tsx';
import { NewRequestPage, RequestsPage } from './pages/Requests.tsx';
import { SearchPage } from './pages/Search.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { StaffPage } from './pages/Staff.tsx';
import { SessionContext, useCan, useDefinition, useSession } from './session.tsx';

export function App() {
  const api = useApi();
  const queryClient = useQueryClient();
  const announce = useAnnounce();
  const { t } = useI18n();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api.me(), staleTime: Infinity });

  // Any request that finds the session gone sends the person back to sign-in.
  useEffect(() => {
    api.setOnUnauthenticated(() => {
      if (queryClient.getQueryData(['me'])) {
        announce(t('error.sessionEnded'));
      }
      queryClient.setQueryData(['me'], null);
    });
    return () => api.setOnUnauthenticated(null);
  }, [api, queryClient, announce, t]);

  if (me.isPending || me.isError) {
    return (
      <main id="main" className="centered">
        <QueryState query={me}>{() => null}</QueryState>
      </main>
    );
  }
  if (!me.data || me.data.mfaRequired) {
    return <SignInPage mfaPending={me.data?.mfaRequired === true} />;
  }
  return (
    <SessionContext.Provider value={me.data}>
      {me.data.staff.mustChangePassword ? <FirstPasswordPage /> : <Shell me={me.data} />}
    </SessionContext.Provider>
  );
}

interface NavItem {
  to: string;
  label: MessageKey;
  /** Whether the item is current for a path. */
  current: (path: string) => boolean;
}

function Shell({ me }: { me: Me }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t, loc } = i18n;
  const announce = useAnnounce();
  const { location, navigate } = useRouter();
  const definition = useDefinition();
  const canAudit = useCan('read_audit');
  const canStaff = useCan('manage_staff');
  const canOutbox = useCan('handle_requests');
  const canAudiences = useCan('export_audiences');
  const [menuOpen, setMenuOpen] = useState(false);

  // A navigation closes the menu on narrow screens.
  useEffect(() => setMenuOpen(false), [location.key]);

  const signOut = useMutation({
    mutationFn: () => api.logout(),
    onSettled: () => {
      // Signed out even if the server could not be reached: forget everything that was read,
      // and leave the page so that whoever signs in next starts afresh.
      navigate('/', { replace: true, focus: true });
      queryClient.setQueryData(['me'], null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      announce(t('app.signedOut'));
    },
  });

  const items: NavItem[] = [
    {
      to: '/',
      label: 'nav.search',
      current: (p) => p === '/' || p.startsWith('/people/'),
    },
    ...(canOutbox
      ? [
          {
            to: '/requests',
            label: 'nav.requests' as const,
            current: (p: string) => p === '/requests' || p.startsWith('/requests/'),
          },
        ]
      : []),
    ...(canAudit
      ? [
          { to: '/audit', label: 'nav.audit' as const, current: (p: string) => p === '/audit' },
          {
            to: '/statistics',
            label: 'nav.statistics' as const,
            current: (p: string) => p === '/statistics',
          },
          {
            to: '/register',
            label: 'nav.register' as const,
            current: (p: string) => p === '/register',
          },
        ]
      : []),
    ...(canAudiences
      ? [
          {
            to: '/audiences',
            label: 'nav.audiences' as const,
            current: (p: string) => p === '/audiences',
          },
          {
            to: '/campaigns',
            label: 'nav.campaigns' as const,
            current: (p: string) => p === '/campaigns',
          },
        ]
      : []),
    // Taking an address off the undeliverable or prohibition list (docs/interchange.md).
    ...(canAudiences || canOutbox
      ? [
          {
            to: '/address-lists',
            label: 'nav.addressLists' as const,
            current: (p: string) => p === '/address-lists',
          },
        ]
      : []),
    ...(canOutbox
      ? [{ to: '/outbox', label: 'nav.outbox' as const, current: (p: string) => p === '/outbox' }]
      : []),
    ...(canOutbox
      ? [
          {
            to: '/retention',
            label: 'nav.retention' as const,
            current: (p: string) => p === '/retention',
          },
        ]
      : []),
    // The notice's versions are public: every role may read them (publishing needs manage_definition).
    { to: '/notice', label: 'nav.notice', current: (p) => p === '/notice' },
    ...(canStaff
      ? [{ to: '/staff', label: 'nav.staff' as const, current: (p: string) => p === '/staff' }]
      : []),
    { to: '/account', label: 'nav.account', current: (p) => p === '/account' },
  ];

  return (
    <div className="app">
      <SkipLink />
      <header className="topbar">
        <div className="brand">
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-sub">{t('app.console')}</span>
        </div>
        <div className="topbar-tools">
          <LanguageSwitcher id="language-top" />
          <button
            type="button"
            className="button button-secondary menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            <span aria-hidden="true" className="menu-icon" />
            {t('nav.menu')}
          </button>
        </div>
      </header>
      <div className="layout">
        <nav
          id="main-nav"
          className={menuOpen ? 'sidebar open' : 'sidebar'}
          aria-label={t('nav.label')}
        >
          <ul className="nav-list">
            {items.map((item) => (
              <li key={item.to}>
                <Link
                  to={item.to}
                  className="nav-link"
                  aria-current={item.current(location.path) ? 'page' : undefined}
                >
                  {t(item.label)}
                </Link>
              </li>
            ))}
          </ul>
          <div className="nav-user">
            <p>
              {t('app.signedInAs', {
                name: me.staff.displayName,
                role: loc(me.role.label, me.role.id),
              })}
            </p>
            <Button variant="secondary" busy={signOut.isPending} onClick={() => signOut.mutate()}>
              {t('nav.signOut')}
            </Button>
          </div>
          {definition.data ? (
            <p className="nav-controller">
              {t('app.controller')}: {definition.data.controller.name} (
              {definition.data.controller.businessId})
            </p>
          ) : null}
        </nav>
        <main id="main" tabIndex={-1}>
          <Routes
            canAudit={canAudit}
            canStaff={canStaff}
            canOutbox={canOutbox}
            canAudiences={canAudiences}
          />
        </main>
      </div>
    </div>
  );
}

/** The console's pages; every address keeps working under /admin (with or without a trailing /). */
function Routes({
  canAudit,
  canStaff,
  canOutbox,
  canAudiences,
}: {
  canAudit: boolean;
  canStaff: boolean;
  canOutbox: boolean;
  canAudiences: boolean;
}) {
  return (
    <Switch>
      <Route path="/">
        <SearchPage />
      </Route>
      <Route path="/people/:id">{(params) => <PersonPage id={params.id} />}</Route>
      <Route path="/requests">{canOutbox ? <RequestsPage /> : <NotAllowed />}</Route>
      <Route path="/requests/new">{canOutbox ? <NewRequestPage /> : <NotAllowed />}</Route>
      <Route path="/requests/:id/letters/:letterId">
        {(params) =>
          canOutbox ? <LetterPage id={params.id} letterId={params.letterId} /> : <NotAllowed />
        }
      </Route>
      <Route path="/requests/:id">
        {(params) => (canOutbox ? <RequestPage id={params.id} /> : <NotAllowed />)}
      </Route>
      <Route path="/audit">{canAudit ? <AccessLogPage /> : <NotAllowed />}</Route>
      <Route path="/statistics">{canAudit ? <StatisticsPage /> : <NotAllowed />}</Route>
      <Route path="/register">{canAudit ? <RegisterPage /> : <NotAllowed />}</Route>
      <Route path="/audiences">{canAudiences ? <AudiencesPage /> : <NotAllowed />}</Route>
      <Route path="/campaigns">{canAudiences ? <CampaignsPage /> : <NotAllowed />}</Route>
      <Route path="/address-lists">
        {canAudiences || canOutbox ? <AddressListsPage /> : <NotAllowed />}
      </Route>
      <Route path="/outbox">{canOutbox ? <OutboxPage /> : <NotAllowed />}</Route>
      <Route path="/retention">{canOutbox ? <RetentionPage /> : <NotAllowed />}</Route>
      <Route path="/notice">
        <NoticePage />
      </Route>
      <Route path="/staff">{canStaff ? <StaffPage /> : <NotAllowed />}</Route>
      <Route path="/account">
        <AccountPage />
      </Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

function NotAllowed() {
  const { t, loc } = useI18n();
  const me = useSession();
  return (
    <section className="page">
      <PageHeading title={t('notAllowed.title')}>{t('notAllowed.title')}</PageHeading>
      <div className="alert alert-error" role="alert">
        <p>{t('notAllowed.body', { role: loc(me.role.label, me.role.id) })}</p>
      </div>
      <p>
        <Link to="/">{t('notFound.back')}</Link>
      </p>
    </section>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <section className="page">
      <PageHeading title={t('notFound.title')}>{t('notFound.title')}</PageHeading>
      <p>{t('notFound.body')}</p>
      <p>
        <Link to="/">{t('notFound.back')}</Link>
      </p>
    </section>
  );
}
