/**
 * What retention has due, for roles that handle requests: what the next daily sweep deletes and
 * why (per rule and category, counts only), what legal holds keep past their rules, and how many
 * restricted people it keeps whole.
 */
import { useQuery } from '@tanstack/react-query';
import type { RetentionPlan } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n } from '../i18n.ts';
import { DataTable, PageHeading, QueryState, type Column } from '../../shared/ui.tsx';

type Row = RetentionPlan['rows'][number];

export function RetentionPage() {
  const api = useApi();
  const { t } = useI18n();
  const due = useQuery({
    queryKey: ['retention-due'],
    queryFn: () => api.retentionDue(),
    staleTime: 0,
  });
  const plan = due.data;
  const columns: Column<Row>[] = [
    { id: 'rule', header: t('col.rule'), className: 'mono', cell: (r) => r.rule },
    { id: 'category', header: t('col.category'), className: 'mono', cell: (r) => r.category },
    { id: 'people', header: t('col.people'), cell: (r) => r.people },
  ];
  const heldColumns: Column<RetentionPlan['held'][number]>[] = [
    { id: 'category', header: t('col.category'), className: 'mono', cell: (r) => r.category },
    { id: 'people', header: t('col.people'), cell: (r) => r.people },
  ];
  return (
    <section className="page">
      <PageHeading title={t('retention.title')}>{t('retention.title')}</PageHeading>
      <p className="muted">{t('retention.intro')}</p>
      <QueryState
        query={due}
        isEmpty={() =>
          (plan?.rows.length ?? 0) === 0 &&
          (plan?.held.length ?? 0) === 0 &&
          (plan?.kept.length ?? 0) === 0
        }
        empty={t('retention.none')}
      >
        {() =>
          plan ? (
            <>
              <p>
                {t('retention.summary', {
                  date: plan.today,
                  erase: plan.erase,
                  partial: plan.partial,
                })}
              </p>
              <DataTable
                label={t('retention.title')}
                columns={columns}
                rows={plan.rows}
                rowKey={(r) => `${r.rule}/${r.category}`}
              />
              {plan.kept.map((k) => (
                <p key={k.reason}>{t('retention.keptRestricted', { people: k.people })}</p>
              ))}
              {plan.held.length > 0 ? (
                <>
                  <h2>{t('retention.held')}</h2>
                  <DataTable
                    label={t('retention.held')}
                    columns={heldColumns}
                    rows={plan.held}
                    rowKey={(r) => r.category}
                  />
                </>
              ) : null}
            </>
          ) : null
        }
      </QueryState>
    </section>
  );
}
