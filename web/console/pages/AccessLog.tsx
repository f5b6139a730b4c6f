/**
 * The access log: who touched whose data, for which purpose, newest first, with the result of
 * verifying the sealed chain.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AuditEntry, AuditVerification } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { outcomeLabel } from '../labels.ts';
import { useI18n } from '../i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  PageHeading,
  QueryState,
  TextField,
  type Column,
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

  const columns: Column<AuditEntry>[] = [
    {
      id: 'time',
      header: t('col.time'),
      cell: (e) => (
        <time dateTime={e.at} title={i18n.dateTime(e.at)}>
          {i18n.shortDateTime(e.at)}
        </time>
      ),
    },
    {
      id: 'actor',
      header: t('col.actor'),
      cell: (e) => e.actorName ?? `${e.actorKind}:${e.actorId}`,
    },
    { id: 'role', header: t('col.role'), cell: (e) => e.role ?? '—' },
    {
      id: 'purpose',
      header: t('col.purpose'),
      className: 'purpose-cell',
      cell: (e) => purposeLabel(e.purpose),
    },
    {
      id: 'subject',
      header: t('col.subject'),
      cell: (e) =>
        e.subjectId ? (
          <Link
            to={withQuery(`/people/${e.subjectId}`, {
              purpose: pickPurpose(purposes, e.purpose)?.id,
            })}
            className="mono subject-id"
          >
            {e.subjectId}
          </Link>
        ) : (
          '—'
        ),
    },
    {
      id: 'action',
      header: t('col.action'),
      cell: (e) => (
        <>
          <span title={e.action}>{e.text}</span>
          {e.outcome === 'ok' ? null : (
            <>
              {' '}
              <Badge kind="danger">{outcomeLabel(i18n, e.outcome)}</Badge>
            </>
          )}
        </>
      ),
    },
    {
      id: 'data',
      header: t('col.data'),
      className: 'data-cell',
      cell: (e) =>
        e.fields.length > 0
          ? e.fields.join(', ')
          : e.categories.length > 0
            ? e.categories.join(', ')
            : '—',
    },
    {
      id: 'sealed',
      header: t('col.sealed'),
      className: 'center',
      cell: (e) =>
        e.sealed ? (
          <span title={t('audit.sealedYes')}>
            <span aria-hidden="true">✓</span>
            <span className="visually-hidden">{t('audit.sealedYes')}</span>
          </span>
        ) : (
          <span title={t('audit.sealedNo')}>
            <span aria-hidden="true">…</span>
            <span className="visually-hidden">{t('audit.sealedNo')}</span>
          </span>
        ),
    },
  ];

  return (
    <section className="page">
      <PageHeading title={t('audit.title')}>{t('audit.title')}</PageHeading>
      <p className="muted">{t('audit.intro')}</p>

      <QueryState query={verify} loadingLabel={t('audit.verifying')}>
        {(result) => <VerifyBanner result={result} />}
      </QueryState>

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

      <QueryState query={log} isEmpty={() => entries.length === 0} empty={t('audit.none')}>
        {() => (
          <>
            <DataTable
              label={t('audit.title')}
              className="audit-table"
              columns={columns}
              rows={entries}
              rowKey={(e) => e.id}
              rowClassName={(e) => (e.outcome === 'ok' ? undefined : 'row-flag')}
            />
            {log.hasNextPage ? (
              <Button
                variant="secondary"
                busy={log.isFetchingNextPage}
                onClick={() => void log.fetchNextPage()}
              >
                {t('audit.more')}
              </Button>
            ) : (
              <p className="muted">{t('audit.end')}</p>
            )}
          </>
        )}
      </QueryState>
    </section>
  );
}

function VerifyBanner({ result }: { result: AuditVerification }) {
  const i18n = useI18n();
  const { t } = i18n;
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
        {alarms.length > 5 ? <p>{t('audit.alarmMore', { count: alarms.length - 5 })}</p> : null}
      </Alert>
    ) : null;
  if (result.ok) {
    return (
      <>
        {banner}
        <Alert kind="success">
          <p className="verify">
            {t('audit.intact', { count: result.checked })}
            {result.unsealed > 0 ? ` ${t('audit.unsealed', { count: result.unsealed })}` : ''}
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
