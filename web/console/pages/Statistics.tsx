/**
 * Anonymised statistics, for roles that may read the access log: live people per category,
 * purpose and source, permission states per kind and channel, requests by type and by state.
 * The server suppresses every group under 5 (`<5`) and what would let one be worked out
 * (`hidden`); the page only shows what it is given, and saves the same as CSV.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Localized, Statistics, StatisticsCount } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { useDefinition } from '../session.tsx';
import { DataTable, PageHeading, QueryState, type Column } from '../../shared/ui.tsx';

type Group = { id: string; label: string; count: StatisticsCount };
type Permission = Statistics['permissions'][number];

export function StatisticsPage() {
  const api = useApi();
  const { t, loc } = useI18n();
  const definition = useDefinition();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const stats = useQuery({
    queryKey: ['statistics'],
    queryFn: () => api.statistics(),
    staleTime: 0,
  });
  const count = (c: StatisticsCount) =>
    c === '<5' ? t('statistics.fewer') : c === 'hidden' ? t('statistics.hidden') : c;
  const labelOf = (list: Array<{ id: string; label: Localized }> | undefined, id: string) =>
    loc(list?.find((x) => x.id === id)?.label, id);
  const d = definition.data;

  const groupColumns = (header: string): Column<Group>[] => [
    { id: 'group', header, rowHeader: true, cell: (g) => g.label },
    { id: 'count', header: t('col.people'), cell: (g) => count(g.count) },
  ];
  const STATES = ['granted', 'refused', 'withdrawn', 'objected', 'pending'] as const;
  const permissionColumns: Column<Permission>[] = [
    {
      id: 'kind',
      header: t('statistics.permission'),
      rowHeader: true,
      cell: (p) =>
        `${labelOf(d?.marketing.kinds, p.kind)} · ${
          p.channel === '*' ? t('statistics.anyChannel') : labelOf(d?.marketing.channels, p.channel)
        }`,
    },
    ...STATES.map((s) => ({
      id: s,
      header: t(`permissions.state.${s}` as MessageKey),
      cell: (p: Permission) => count(p[s]),
    })),
    { id: 'never', header: t('statistics.neverAsked'), cell: (p) => count(p.neverAsked) },
  ];
  const requestColumns = (header: string): Column<Group>[] => [
    { id: 'group', header, rowHeader: true, cell: (g) => g.label },
    { id: 'count', header: t('statistics.requests'), cell: (g) => count(g.count) },
  ];

  const onCsv = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, filename } = await api.statisticsCsv();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="page">
      <PageHeading title={t('statistics.title')}>{t('statistics.title')}</PageHeading>
      <p className="muted">{t('statistics.intro')}</p>
      <QueryState query={stats}>
        {() => {
          const s = stats.data;
          if (!s) {
            return null;
          }
          const groups = (
            list: Array<{ id: string; people: StatisticsCount }>,
            labels: Array<{ id: string; label: Localized }> | undefined,
          ): Group[] =>
            list.map((g) => ({ id: g.id, label: labelOf(labels, g.id), count: g.people }));
          const requests = (
            list: Array<{ id: string; requests: StatisticsCount }>,
            prefix: 'requestType' | 'requestState',
          ): Group[] =>
            list.map((g) => ({
              id: g.id,
              label: t(`${prefix}.${g.id}` as MessageKey),
              count: g.requests,
            }));
          return (
            <>
              <p className="statistics-people">
                {t('statistics.people')} <strong>{count(s.people)}</strong>
              </p>
              <p>
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => void onCsv()}
                  disabled={busy}
                >
                  {t('statistics.csv')}
                </button>
              </p>
              {error ? (
                <div className="alert alert-error" role="alert">
                  {error}
                </div>
              ) : null}
              <h2>{t('statistics.categories')}</h2>
              <DataTable
                label={t('statistics.categories')}
                columns={groupColumns(t('col.category'))}
                rows={groups(s.categories, d?.categories)}
                rowKey={(g) => g.id}
              />
              <h2>{t('statistics.purposes')}</h2>
              <DataTable
                label={t('statistics.purposes')}
                columns={groupColumns(t('statistics.purpose'))}
                rows={groups(s.purposes, d?.purposes)}
                rowKey={(g) => g.id}
              />
              <h2>{t('statistics.sources')}</h2>
              <DataTable
                label={t('statistics.sources')}
                columns={groupColumns(t('statistics.source'))}
                rows={groups(s.sources, d?.sources)}
                rowKey={(g) => g.id}
              />
              <h2>{t('statistics.permissions')}</h2>
              <DataTable
                label={t('statistics.permissions')}
                columns={permissionColumns}
                rows={s.permissions}
                rowKey={(p) => `${p.kind}/${p.channel}`}
                stack
              />
              <h2>{t('statistics.requestsTitle', { total: String(count(s.requests.total)) })}</h2>
              <DataTable
                label={t('statistics.byType')}
                columns={requestColumns(t('statistics.byType'))}
                rows={requests(s.requests.byType, 'requestType')}
                rowKey={(g) => g.id}
              />
              <DataTable
                label={t('statistics.byState')}
                columns={requestColumns(t('statistics.byState'))}
                rows={requests(s.requests.byState, 'requestState')}
                rowKey={(g) => g.id}
              />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
