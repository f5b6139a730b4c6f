/**
 * The register definition as `rekisteri check` sees it, for roles that read the access log (the
 * DPO, the auditor, the administrator): its errors and warnings with the articles they cite, and
 * its transfers with their mechanisms, a void one (the EU-US Privacy Shield) flagged. A draft's
 * YAML may be pasted and checked the same way; nothing is loaded or kept.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { DefinitionCheck } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n } from '../i18n.ts';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  ErrorAlert,
  PageHeading,
  QueryState,
  TextAreaField,
  type Column,
} from '../../shared/ui.tsx';

type Finding = DefinitionCheck['errors'][number];
type Transfer = DefinitionCheck['transfers'][number];

export function RegisterPage() {
  const api = useApi();
  const { t } = useI18n();
  const running = useQuery({
    queryKey: ['definition-check'],
    queryFn: () => api.checkDefinition(),
    staleTime: 0,
  });
  const [draft, setDraft] = useState('');
  const check = useMutation({ mutationFn: (text: string) => api.checkDefinition(text) });
  const onCheck = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim() !== '') {
      check.mutate(draft);
    }
  };
  return (
    <section className="page">
      <PageHeading title={t('register.title')}>{t('register.title')}</PageHeading>
      <p className="muted">{t('register.intro')}</p>
      <h2>{t('register.running')}</h2>
      <QueryState query={running}>
        {(report) => <Report report={report} idPrefix="running" />}
      </QueryState>

      <h2>{t('register.draft')}</h2>
      <form onSubmit={onCheck} className="stack">
        <TextAreaField
          id="draft-definition"
          label={t('register.draftLabel')}
          hint={t('register.draftHint')}
          rows={8}
          spellCheck={false}
          className="mono"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <div className="actions">
          <Button type="submit" busy={check.isPending} disabled={draft.trim() === ''}>
            {t('register.check')}
          </Button>
        </div>
      </form>
      {check.isError ? <ErrorAlert error={check.error} /> : null}
      {check.data ? (
        <section aria-labelledby="draft-result">
          <h3 id="draft-result">{t('register.draftResult')}</h3>
          <Report report={check.data} idPrefix="draft" />
        </section>
      ) : null}
    </section>
  );
}

function Report({ report, idPrefix }: { report: DefinitionCheck; idPrefix: string }) {
  const { t } = useI18n();
  const findingColumns: Column<Finding>[] = [
    {
      id: 'path',
      header: t('register.col.path'),
      className: 'mono',
      rowHeader: true,
      cell: (f) => (f.line === undefined ? f.path : `${f.path} (${f.line}:${f.column ?? 1})`),
    },
    { id: 'message', header: t('register.col.message'), cell: (f) => f.message },
    {
      id: 'articles',
      header: t('register.col.articles'),
      cell: (f) => f.articles.join('; '),
    },
    {
      id: 'notice',
      header: t('register.col.notice'),
      className: 'mono',
      cell: (f) => f.noticeItem ?? '',
    },
  ];
  const transferColumns: Column<Transfer>[] = [
    {
      id: 'recipient',
      header: t('register.col.recipient'),
      rowHeader: true,
      cell: (r) => r.recipientName,
    },
    {
      id: 'country',
      header: t('register.col.country'),
      className: 'mono',
      cell: (r) =>
        r.recipientCountry === r.country ? r.country : `${r.recipientCountry} → ${r.country}`,
    },
    {
      id: 'outside',
      header: t('register.col.outside'),
      cell: (r) => (r.outsideEea.length > 0 ? r.outsideEea.join(', ') : t('register.insideEea')),
    },
    {
      id: 'mechanism',
      header: t('register.col.mechanism'),
      className: 'mono',
      cell: (r) =>
        r.mechanism === null
          ? t('register.noMechanism')
          : r.sccModule === null
            ? r.mechanism
            : `${r.mechanism} (${t('register.sccModule', { module: r.sccModule })})`,
    },
    {
      id: 'status',
      header: t('register.col.status'),
      cell: (r) =>
        r.void !== null ? (
          // The reason is long: a badge that wraps, not one cut off at the table's edge.
          <span className="badge badge-danger badge-wrap">
            {t('register.void', { reason: r.void })}
          </span>
        ) : r.mechanism === 'unknown' || (r.mechanism === null && r.outsideEea.length > 0) ? (
          <Badge kind="warning">{t('register.notStated')}</Badge>
        ) : (
          <Badge kind="success">{t('register.ok')}</Badge>
        ),
    },
  ];
  return (
    <div className="stack">
      {report.valid ? (
        <Alert kind="success">
          <p>
            {t('register.valid', {
              version: report.version ?? '—',
              warnings: report.warnings.length,
            })}
          </p>
        </Alert>
      ) : (
        <Alert kind="error" title={t('register.invalid', { errors: report.errors.length })}>
          <p>{t('register.invalidBody')}</p>
        </Alert>
      )}
      <h3 id={`${idPrefix}-errors`}>{t('register.errors', { n: report.errors.length })}</h3>
      {report.errors.length === 0 ? (
        <p>{t('register.noErrors')}</p>
      ) : (
        <DataTable
          label={t('register.errors', { n: report.errors.length })}
          columns={findingColumns}
          rows={report.errors}
          rowKey={(f, i) => `${i}:${f.path}`}
          stack
        />
      )}
      <h3 id={`${idPrefix}-warnings`}>{t('register.warnings', { n: report.warnings.length })}</h3>
      {report.warnings.length === 0 ? (
        <p>{t('register.noWarnings')}</p>
      ) : (
        <DataTable
          label={t('register.warnings', { n: report.warnings.length })}
          columns={findingColumns}
          rows={report.warnings}
          rowKey={(f, i) => `${i}:${f.path}`}
          stack
        />
      )}
      <h3 id={`${idPrefix}-transfers`}>{t('register.transfers')}</h3>
      {report.transfers.length === 0 ? (
        <p>{t('register.noTransfers')}</p>
      ) : (
        <DataTable
          label={t('register.transfers')}
          columns={transferColumns}
          rows={report.transfers}
          rowKey={(r, i) => `${i}:${r.recipient}`}
          rowClassName={(r) => (r.void !== null ? 'row-flag' : undefined)}
          stack
        />
      )}
    </div>
  );
}
