/**
 * One person, read for one purpose: the values of the purpose's categories with their source and
 * collection time, which purposes use each category and on which legal basis, the purpose's
 * retention, restriction, the history of changes, and the person's marketing permissions with their
 * evidence. The reads are logged on the server.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { ApiError } from '../../shared/api.ts';
import type {
  Definition,
  FieldDefinition,
  HistoryEntry,
  PurposeDefinition,
  StoredValue,
  Subject,
} from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { fieldIndex, formatValue, legalBasisLabel, personSummary } from '../../shared/format.ts';
import { useI18n } from '../i18n.ts';
import type { I18n } from '../i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  EmptyState,
  PageHeading,
  QueryState,
  type Column,
} from '../../shared/ui.tsx';
import { PurposeSelect, pickPurpose, useReadablePurposes } from '../purpose.tsx';
import { PersonPermissions } from './PersonPermissions.tsx';
import { useCan, useDefinition, useSession } from '../session.tsx';

function readError(i18n: I18n, error: unknown): string | null {
  if (!(error instanceof ApiError)) {
    return null;
  }
  if (error.status === 404) {
    return i18n.t('person.notFound');
  }
  if (error.status === 403) {
    const restricted =
      error.problem.type?.includes('restricted') === true ||
      /restrict/i.test(error.problem.title) ||
      /restrict/i.test(error.problem.detail ?? '');
    return restricted ? i18n.t('person.restrictedForPurpose') : i18n.t('person.purposeNotAllowed');
  }
  return null;
}

export function PersonPage({ id }: { id: string }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const { location, navigate } = useRouter();
  const canAudit = useCan('read_audit');
  const canRequests = useCan('handle_requests');
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data);
  const purpose = pickPurpose(purposes, location.query.get('purpose'));

  const subject = useQuery({
    queryKey: ['subject', id, purpose?.id],
    queryFn: () => api.getSubject(id, purpose?.id ?? ''),
    enabled: Boolean(purpose),
  });
  const history = useQuery({
    queryKey: ['history', id, purpose?.id],
    queryFn: () => api.getHistory(id, purpose?.id ?? ''),
    enabled: subject.isSuccess,
  });

  const summary =
    definition.data && subject.data ? personSummary(subject.data, definition.data) : null;
  const title = summary?.name ?? t('person.title');

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to={withQuery('/', { purpose: purpose?.id })}>{t('nav.search')}</Link>
      </p>
      <PageHeading title={title}>
        {title}
        {subject.data?.restricted ? (
          <>
            {' '}
            <Badge kind="warning">{t('person.restricted')}</Badge>
          </>
        ) : null}
      </PageHeading>

      <QueryState query={definition}>
        {(def) =>
          purpose ? (
            <>
              <div className="card">
                <PurposeSelect
                  id="person-purpose"
                  purposes={purposes}
                  value={purpose.id}
                  onChange={(p) =>
                    navigate(withQuery(`/people/${encodeURIComponent(id)}`, { purpose: p }), {
                      replace: true,
                    })
                  }
                />
                <PurposeFacts purpose={purpose} def={def} />
                <p className="muted small">{t('person.readLogged')}</p>
              </div>

              <QueryState query={subject} knownError={(e) => readError(i18n, e)}>
                {(person) => (
                  <>
                    <dl className="facts">
                      <div>
                        <dt>{t('col.id')}</dt>
                        <dd>
                          <code>{person.id}</code>
                        </dd>
                      </div>
                      <div>
                        <dt>{t('person.created')}</dt>
                        <dd>{i18n.dateTime(person.createdAt)}</dd>
                      </div>
                      <div>
                        <dt>{t('person.updated')}</dt>
                        <dd>{i18n.dateTime(person.updatedAt)}</dd>
                      </div>
                    </dl>
                    {person.restricted ? (
                      <Alert kind="warning">{t('person.restrictedNote')}</Alert>
                    ) : null}
                    {canAudit || canRequests ? (
                      <ul className="plain-list person-links">
                        {canAudit ? (
                          <li>
                            <Link to={withQuery('/audit', { subjectId: person.id })}>
                              {t('person.auditLink')}
                            </Link>
                          </li>
                        ) : null}
                        {canRequests ? (
                          <li>
                            <Link
                              to={withQuery('/requests', { state: 'all', subjectId: person.id })}
                            >
                              {t('person.requestsLink')}
                            </Link>
                          </li>
                        ) : null}
                      </ul>
                    ) : null}

                    <EndRelationship id={person.id} purpose={purpose} def={def} />

                    <h2>{t('person.values')}</h2>
                    <Categories subject={person} purpose={purpose} def={def} />

                    <h2 id="history-heading">{t('person.history')}</h2>
                    <QueryState
                      query={history}
                      isEmpty={(h) => h.items.length === 0}
                      empty={t('person.historyNone')}
                    >
                      {(h) => <History items={h.items} def={def} />}
                    </QueryState>

                    <PersonPermissions id={person.id} def={def} />
                  </>
                )}
              </QueryState>
            </>
          ) : (
            <Alert kind="warning">{t('purpose.none')}</Alert>
          )
        }
      </QueryState>
    </section>
  );
}

function PurposeFacts({ purpose, def }: { purpose: PurposeDefinition; def: Definition }) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const rule = def.retentionRules?.find((r) => r.id === purpose.retention);
  return (
    <div className="purpose-facts">
      {purpose.description ? <p>{loc(purpose.description)}</p> : null}
      <dl className="facts">
        <div>
          <dt>{t('purpose.legalBasis')}</dt>
          <dd>{legalBasisLabel(i18n, purpose.legalBasis)}</dd>
        </div>
        {rule || purpose.retention ? (
          <div>
            <dt>{t('purpose.retention')}</dt>
            <dd>
              {rule
                ? `${loc(rule.label, rule.id)} (${i18n.duration(rule.duration)})`
                : purpose.retention}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>{t('purpose.allowedDuringRestriction')}</dt>
          <dd>{purpose.allowedDuringRestriction ? t('common.yes') : t('common.no')}</dd>
        </div>
      </dl>
    </div>
  );
}

function Categories({
  subject,
  purpose,
  def,
}: {
  subject: Subject;
  purpose: PurposeDefinition;
  def: Definition;
}) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const sources = new Map(def.sources.map((s) => [s.id, s]));
  const purposesById = new Map(def.purposes.map((p) => [p.id, p]));
  // The purpose's categories in definition order, then any other category the server returned.
  const ids = def.categories
    .map((c) => c.id)
    .filter((c) => purpose.categories.includes(c) || c in subject.categories);
  if (ids.length === 0) {
    return <p>{t('person.noCategories')}</p>;
  }
  const valueColumns: Column<{ field: FieldDefinition; value: StoredValue }>[] = [
    {
      id: 'field',
      header: t('col.field'),
      rowHeader: true,
      cell: (r) => loc(r.field.label, r.field.id),
    },
    {
      id: 'value',
      header: t('col.value'),
      className: 'value',
      cell: (r) => formatValue(i18n, r.value.value, r.field.type),
    },
    {
      id: 'source',
      header: t('col.source'),
      cell: (r) => loc(sources.get(r.value.source)?.label, r.value.source),
    },
    {
      id: 'purpose',
      header: t('col.purpose'),
      cell: (r) => loc(purposesById.get(r.value.purpose)?.label, r.value.purpose),
    },
    {
      id: 'collected',
      header: t('col.collected'),
      cell: (r) => i18n.dateTime(r.value.collectedAt),
    },
  ];
  return (
    <div className="categories">
      {ids.map((cid) => {
        const category = def.categories.find((c) => c.id === cid);
        if (!category) {
          return null;
        }
        const values = subject.categories[cid] ?? {};
        const present = category.fields.filter((f) => f.id in values);
        const users = def.purposes.filter((p) => p.categories.includes(cid));
        const headingId = `category-${cid}`;
        return (
          <section key={cid} className="card category" aria-labelledby={headingId}>
            <h3 id={headingId}>{loc(category.label, cid)}</h3>
            <div className="category-purposes">
              <p className="small muted">{t('person.usedBy')}</p>
              <ul className="chips">
                {users.map((p) => (
                  <li key={p.id} className={p.id === purpose.id ? 'chip chip-current' : 'chip'}>
                    {loc(p.label, p.id)}
                    <span className="chip-note">{legalBasisLabel(i18n, p.legalBasis)}</span>
                  </li>
                ))}
              </ul>
            </div>
            {present.length === 0 ? (
              <EmptyState>{t('person.categoryEmpty')}</EmptyState>
            ) : (
              <DataTable
                label={loc(category.label, cid)}
                columns={valueColumns}
                rows={present.flatMap((f) => {
                  const v = values[f.id];
                  return v ? [{ field: f, value: v }] : [];
                })}
                rowKey={(r) => r.field.id}
                stack
              />
            )}
          </section>
        );
      })}
    </div>
  );
}

function History({ items, def }: { items: HistoryEntry[]; def: Definition }) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const fields = fieldIndex(def);
  const categories = new Map(def.categories.map((c) => [c.id, c]));
  const sources = new Map(def.sources.map((s) => [s.id, s]));
  const purposes = new Map(def.purposes.map((p) => [p.id, p]));
  const fieldOf = (h: HistoryEntry) => fields.get(`${h.category}.${h.field}`);
  const columns: Column<HistoryEntry>[] = [
    {
      id: 'changed',
      header: t('col.changed'),
      className: 'nowrap',
      cell: (h) => i18n.dateTime(h.changedAt),
    },
    {
      id: 'field',
      header: t('col.field'),
      cell: (h) => (
        <>
          {loc(categories.get(h.category)?.label, h.category)} › {loc(fieldOf(h)?.label, h.field)}
        </>
      ),
    },
    {
      id: 'old',
      header: t('col.old'),
      className: 'value',
      cell: (h) => formatValue(i18n, h.old, fieldOf(h)?.type),
    },
    {
      id: 'new',
      header: t('col.new'),
      className: 'value',
      cell: (h) => formatValue(i18n, h.new, fieldOf(h)?.type),
    },
    { id: 'reason', header: t('col.reason'), cell: (h) => h.reason ?? '—' },
    {
      id: 'purpose',
      header: t('col.purpose'),
      cell: (h) => loc(purposes.get(h.purpose)?.label, h.purpose),
    },
    {
      id: 'source',
      header: t('col.source'),
      cell: (h) => loc(sources.get(h.source)?.label, h.source),
    },
    { id: 'actor', header: t('col.actor'), cell: (h) => h.actor },
  ];
  return (
    <DataTable
      label={t('person.history')}
      columns={columns}
      rows={items}
      rowKey={(h, i) => `${h.changedAt}-${h.category}-${h.field}-${i}`}
    />
  );
}

/**
 * Ends the customer relationship (docs/retention.md): offered under a purpose resting on it
 * (legal basis contract) whose retention rule counts from the end of the relationship, to a role
 * that may write under it.
 */
function EndRelationship({
  id,
  purpose,
  def,
}: {
  id: string;
  purpose: PurposeDefinition;
  def: Definition;
}) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const { role } = useSession();
  const rule = def.retentionRules?.find((r) => r.id === purpose.retention);
  const end = useMutation({ mutationFn: () => api.endRelationship(id, purpose.id) });
  const mayWrite = role.write.includes('*') || role.write.includes(purpose.id);
  if (!mayWrite || purpose.legalBasis !== 'contract' || rule?.from !== 'end_of_relationship') {
    return null;
  }
  return end.data ? (
    <Alert kind="success">{t('retention.ended', { date: i18n.dateTime(end.data.endedAt) })}</Alert>
  ) : (
    <p>
      <Button variant="secondary" busy={end.isPending} onClick={() => end.mutate()}>
        {t('retention.end')}
      </Button>
      {end.error ? <Alert>{end.error.message}</Alert> : null}
    </p>
  );
}
