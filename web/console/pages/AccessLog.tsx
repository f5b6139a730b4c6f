/**
 * The access log: who touched whose data, for which purpose, newest first, with the result of
 * verifying the sealed chain.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AuditVerification } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { outcomeLabel } from '../../shared/format.ts';
import { useI18n } from '../../shared/i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
import {
  Alert,
  Badge,
  Button,
  ErrorAlert,
  Loading,
  PageHeading,
  TableScroll,
  TextField,
} from '../../shared/ui.tsx';
import { pickPurpose, useReadablePurposes } from '../purpose.tsx';
import { useDefinition } from '../session.tsx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AccessLogPage() {
  const api = useApi();
  const i18n = useI18n();
  const { t, loc } = i18n;
  const { location, navigate } = useRouter();
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data);
  const subjectId = location.query.get('subjectId') ?? '';
  const [filter, setFilter] = useState(subjectId);
  const [checked, setChecked] = useState(false);
  useEffect(() => setFilter(subjectId), [subjectId]);
  const filterValid = filter.trim() === '' || UUID.test(filter.trim());

  const verify = useQuery({
    queryKey: ['audit-verify'],
    queryFn: () => api.verifyAudit(),
    staleTime: 0,
  });
  const log = useInfiniteQuery({
    queryKey: ['audit', subjectId, i18n.lang],
    queryFn: ({ pageParam }) =>
      api.auditLog({
        before: pageParam,
        limit: 50,
        subjectId: subjectId || undefined,
        lang: i18n.lang,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextBefore,
    staleTime: 0,
  });

  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];
  const purposeLabel = (id: string | null) =>
    id ? loc(definition.data?.purposes.find((p) => p.id === id)?.label, id) : '—';

  return (
    <section className="page">
      <PageHeading title={t('audit.title')}>{t('audit.title')}</PageHeading>
      <p className="muted">{t('audit.intro')}</p>

      <VerifyBanner
        pending={verify.isPending}
        error={verify.error}
        result={verify.data}
        onRetry={() => void verify.refetch()}
      />

      <form
        className="card filter-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setChecked(true);
          if (filterValid) {
            navigate(withQuery('/audit', { subjectId: filter.trim() }), { replace: true });
          }
        }}
      >
        <TextField
          id="audit-subject"
          label={t('audit.filter')}
          name="subjectId"
          autoComplete="off"
          spellCheck={false}
          value={filter}
          error={checked && !filterValid ? t('audit.filterInvalid') : null}
          onChange={(e) => setFilter(e.target.value)}
        />
        <div className="row">
          <Button type="submit" variant="secondary">
            {t('audit.filterSubmit')}
          </Button>
          {subjectId ? (
            <Button variant="link" onClick={() => navigate('/audit', { replace: true })}>
              {t('audit.clear')}
            </Button>
          ) : null}
        </div>
      </form>
      {subjectId ? <p role="status">{t('audit.filtered', { id: subjectId })}</p> : null}

      {log.isPending ? <Loading /> : null}
      {log.isError ? <ErrorAlert error={log.error} onRetry={() => void log.refetch()} /> : null}
      {log.isSuccess && entries.length === 0 ? <p>{t('audit.none')}</p> : null}
      {entries.length > 0 ? (
        <TableScroll label={t('audit.title')}>
          <table className="table audit-table">
            <thead>
              <tr>
                <th scope="col">{t('col.time')}</th>
                <th scope="col">{t('col.actor')}</th>
                <th scope="col">{t('col.role')}</th>
                <th scope="col">{t('col.purpose')}</th>
                <th scope="col">{t('col.subject')}</th>
                <th scope="col">{t('col.action')}</th>
                <th scope="col">{t('col.data')}</th>
                <th scope="col">{t('col.sealed')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const readAs = pickPurpose(purposes, e.purpose)?.id;
                return (
                  <tr key={e.id} className={e.outcome === 'ok' ? undefined : 'row-flag'}>
                    <td>
                      <time dateTime={e.at} title={i18n.dateTime(e.at)}>
                        {i18n.shortDateTime(e.at)}
                      </time>
                    </td>
                    <td>{e.actorName ?? `${e.actorKind}:${e.actorId}`}</td>
                    <td>{e.role ?? '—'}</td>
                    <td className="purpose-cell">{purposeLabel(e.purpose)}</td>
                    <td>
                      {e.subjectId ? (
                        <Link
                          to={withQuery(`/people/${e.subjectId}`, { purpose: readAs })}
                          className="mono subject-id"
                        >
                          {e.subjectId}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <span title={e.action}>{e.text}</span>
                      {e.outcome === 'ok' ? null : (
                        <>
                          {' '}
                          <Badge kind="danger">{outcomeLabel(i18n, e.outcome)}</Badge>
                        </>
                      )}
                    </td>
                    <td className="data-cell">
                      {e.fields.length > 0
                        ? e.fields.join(', ')
                        : e.categories.length > 0
                          ? e.categories.join(', ')
                          : '—'}
                    </td>
                    <td className="center">
                      {e.sealed ? (
                        <span title={t('audit.sealedYes')}>
                          <span aria-hidden="true">✓</span>
                          <span className="visually-hidden">{t('audit.sealedYes')}</span>
                        </span>
                      ) : (
                        <span title={t('audit.sealedNo')}>
                          <span aria-hidden="true">…</span>
                          <span className="visually-hidden">{t('audit.sealedNo')}</span>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      {log.hasNextPage ? (
        <Button
          variant="secondary"
          busy={log.isFetchingNextPage}
          onClick={() => void log.fetchNextPage()}
        >
          {t('audit.more')}
        </Button>
      ) : log.isSuccess && entries.length > 0 ? (
        <p className="muted">{t('audit.end')}</p>
      ) : null}
    </section>
  );
}

function VerifyBanner({
  pending,
  error,
  result,
  onRetry,
}: {
  pending: boolean;
  error: unknown;
  result: AuditVerification | undefined;
  onRetry: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  if (pending) {
    return <Loading label={t('audit.verifying')} />;
  }
  if (error || !result) {
    return <ErrorAlert error={error} onRetry={onRetry} />;
  }
  const alarms = result.alarms ?? [];
  const banner =
    alarms.length > 0 ? (
      <Alert kind="error">
        <p>
          <strong>{t('audit.alarmTitle')}</strong>
        </p>
        <ul>
          {alarms.slice(0, 5).map((a) => (
            <li key={`${a.kind}:${a.seq ?? ''}:${a.eventId ?? ''}`}>
              {a.kind === 'forged'
                ? t('audit.alarmForged', { eventId: a.eventId ?? '—' })
                : t('audit.alarmChain', { seq: a.seq ?? '—' })}
            </li>
          ))}
        </ul>
        {alarms.length > 5 ? (
          <p>{t('audit.alarmMore', { count: i18n.number(alarms.length - 5) })}</p>
        ) : null}
      </Alert>
    ) : null;
  if (result.ok) {
    return (
      <>
        {banner}
        <Alert kind="success">
          <p className="verify">
            {t('audit.intact', { count: i18n.number(result.checked) })}
            {result.unsealed > 0
              ? ` ${t('audit.unsealed', { count: i18n.number(result.unsealed) })}`
              : ''}
          </p>
        </Alert>
      </>
    );
  }
  return (
    <>
      {banner}
      <Alert kind="error">
        <p className="verify">
          {t('audit.broken', {
            seq: result.broken?.seq ?? '—',
            eventId: result.broken?.eventId ?? '—',
            reason: result.broken?.reason ?? '',
          })}
        </p>
      </Alert>
    </>
  );
}
