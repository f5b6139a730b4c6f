/**
 * The page a request's confirmation link opens (/requests/verify#token=…): it reads the token
 * from the fragment, posts it once, and shows the request's type, state and due date. A used,
 * expired or mistyped link is refused in one way, without saying which.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Link } from '../../shared/router.tsx';
import { Alert, PageHeading, QueryState } from '../../shared/ui.tsx';
import { knownText, useI18n } from '../i18n.ts';
import { useFragmentToken } from './fragment.ts';
import { problemText } from './RequestForm.tsx';

export function VerifyPage() {
  const api = useApi();
  const i18n = useI18n();
  const p = i18n.t;
  const token = useFragmentToken();
  // A query keyed by the token: posted once even when the page renders twice.
  const verified = useQuery({
    queryKey: ['verify', token],
    queryFn: () => api.verifyPortalRequest(token ?? ''),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
  });

  return (
    <>
      <PageHeading title={p('verify.heading')}>{p('verify.heading')}</PageHeading>
      {token === null ? (
        <Alert>{p('verify.invalid')}</Alert>
      ) : (
        <QueryState
          query={verified}
          loadingLabel={p('verify.checking')}
          knownError={(e) =>
            e instanceof ApiError && (e.status === 400 || e.status === 404 || e.status === 410)
              ? p('verify.invalid')
              : e instanceof ApiError && e.status === 429
                ? problemText(i18n, e)
                : null
          }
        >
          {(r) => (
            <Alert kind="success" title={p('verify.done')}>
              <dl className="portal-facts">
                <dt>{p('verify.type')}</dt>
                <dd>{knownText(i18n, 'requestType', r.type)}</dd>
                <dt>{p('verify.state')}</dt>
                <dd>{knownText(i18n, 'requestState', r.state)}</dd>
                {r.dueAt ? (
                  <>
                    <dt>{p('verify.due')}</dt>
                    <dd>{i18n.date(r.dueAt)}</dd>
                  </>
                ) : null}
              </dl>
              <p>{r.state === 'completed' ? p('verify.appliedNote') : p('verify.note')}</p>
            </Alert>
          )}
        </QueryState>
      )}
      <p>
        <Link to="/">{p('request.back')}</Link>
      </p>
    </>
  );
}
