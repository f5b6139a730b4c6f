/**
 * The mail outbox, for roles that handle requests: the mail that waits for delivery (or for an
 * SMTP server to be configured), oldest first. The server records every view in the access log.
 */
import { useQuery } from '@tanstack/react-query';
import type { OutboxMail } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { LANGUAGE_NAMES } from '../../shared/i18n.ts';
import { useI18n } from '../i18n.ts';
import { Link, withQuery } from '../../shared/router.tsx';
import { Badge, DataTable, PageHeading, QueryState, type Column } from '../../shared/ui.tsx';
import { pickPurpose, useReadablePurposes } from '../purpose.tsx';
import { useDefinition } from '../session.tsx';

/** How many mails one view shows; the server allows up to 1,000. */
const LIMIT = 200;

export function OutboxPage() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data);

  const outbox = useQuery({
    queryKey: ['outbox'],
    queryFn: () => api.listOutbox(LIMIT),
    staleTime: 0,
  });
  const mails = outbox.data?.items ?? [];

  const time = (iso: string) => (
    <time dateTime={iso} title={i18n.dateTime(iso)}>
      {i18n.shortDateTime(iso)}
    </time>
  );

  const columns: Column<OutboxMail>[] = [
    { id: 'to', header: t('col.recipient'), className: 'recipient-cell', cell: (m) => m.to },
    {
      id: 'subject',
      header: t('col.subject'),
      cell: (m) =>
        m.subjectId ? (
          <Link
            to={withQuery(`/people/${m.subjectId}`, { purpose: pickPurpose(purposes, null)?.id })}
            className="mono subject-id"
          >
            {m.subjectId}
          </Link>
        ) : (
          '—'
        ),
    },
    {
      id: 'line',
      header: t('col.subjectLine'),
      cell: (m) => <span lang={m.locale}>{m.subject}</span>,
    },
    {
      id: 'locale',
      header: t('col.language'),
      cell: (m) => <span lang={m.locale}>{LANGUAGE_NAMES[m.locale]}</span>,
    },
    {
      id: 'state',
      header: t('col.state'),
      cell: (m) =>
        m.state === 'queued' ? (
          <Badge kind="neutral">{t('outbox.queued')}</Badge>
        ) : (
          <Badge kind="warning">{t('outbox.waiting')}</Badge>
        ),
    },
    { id: 'created', header: t('col.written'), cell: (m) => time(m.createdAt) },
    { id: 'expires', header: t('col.expires'), cell: (m) => time(m.expiresAt) },
  ];

  return (
    <section className="page">
      <PageHeading title={t('outbox.title')}>{t('outbox.title')}</PageHeading>
      <p className="muted">{t('outbox.intro')}</p>
      <QueryState query={outbox} isEmpty={() => mails.length === 0} empty={t('outbox.none')}>
        {() => (
          <>
            <DataTable
              label={t('outbox.title')}
              className="outbox-table"
              columns={columns}
              rows={mails}
              rowKey={(m) => m.id}
            />
            {mails.length >= LIMIT ? (
              <p className="muted">{t('outbox.limited', { count: LIMIT })}</p>
            ) : null}
          </>
        )}
      </QueryState>
    </section>
  );
}
