/**
 * One person, read for one purpose: the values of the purpose's categories with their source and
 * collection time, which purposes use each category and on which legal basis, the purpose's
 * retention, restriction, and the history of changes. The read is logged on the server.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../shared/api.ts';
import type { Definition, HistoryEntry, PurposeDefinition, Subject } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { fieldIndex, formatValue, legalBasisLabel, personSummary } from '../../shared/format.ts';
import { useI18n } from '../i18n.ts';
import type { I18n } from '../i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
import { Alert, Badge, ErrorAlert, Loading, PageHeading, TableScroll } from '../../shared/ui.tsx';
import { PurposeSelect, pickPurpose, useReadablePurposes } from '../purpose.tsx';
import { useCan, useDefinition } from '../session.tsx';

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

  const def = definition.data;
  const summary = def && subject.data ? personSummary(subject.data, def) : null;
  const title = summary?.name ?? t('person.title');
  const known = readError(i18n, subject.error);

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

      {definition.isPending ? <Loading /> : null}
      {definition.isError ? (
        <ErrorAlert error={definition.error} onRetry={() => void definition.refetch()} />
      ) : null}
      {def && !purpose ? <Alert kind="warning">{t('purpose.none')}</Alert> : null}

      {def && purpose ? (
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

          {subject.isPending ? <Loading /> : null}
          {subject.isError ? (
            known ? (
              <Alert kind="error">{known}</Alert>
            ) : (
              <ErrorAlert error={subject.error} onRetry={() => void subject.refetch()} />
            )
          ) : null}

          {subject.data ? (
            <>
              <dl className="facts">
                <div>
                  <dt>{t('col.id')}</dt>
                  <dd>
                    <code>{subject.data.id}</code>
                  </dd>
                </div>
                <div>
                  <dt>{t('person.created')}</dt>
                  <dd>{i18n.dateTime(subject.data.createdAt)}</dd>
                </div>
                <div>
                  <dt>{t('person.updated')}</dt>
                  <dd>{i18n.dateTime(subject.data.updatedAt)}</dd>
                </div>
              </dl>
              {subject.data.restricted ? (
                <Alert kind="warning">{t('person.restrictedNote')}</Alert>
              ) : null}
              {canAudit ? (
                <p>
                  <Link to={withQuery('/audit', { subjectId: subject.data.id })}>
                    {t('person.auditLink')}
                  </Link>
                </p>
              ) : null}

              <h2>{t('person.values')}</h2>
              <Categories subject={subject.data} purpose={purpose} def={def} />

              <h2 id="history-heading">{t('person.history')}</h2>
              {history.isPending ? <Loading /> : null}
              {history.isError ? (
                <ErrorAlert error={history.error} onRetry={() => void history.refetch()} />
              ) : null}
              {history.data ? <History items={history.data.items} def={def} /> : null}
            </>
          ) : null}
        </>
      ) : null}
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
              <p className="muted">{t('person.categoryEmpty')}</p>
            ) : (
              <TableScroll label={loc(category.label, cid)}>
                <table className="table table-stack">
                  <thead>
                    <tr>
                      <th scope="col">{t('col.field')}</th>
                      <th scope="col">{t('col.value')}</th>
                      <th scope="col">{t('col.source')}</th>
                      <th scope="col">{t('col.purpose')}</th>
                      <th scope="col">{t('col.collected')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {present.map((f) => {
                      const v = values[f.id];
                      if (!v) {
                        return null;
                      }
                      return (
                        <tr key={f.id}>
                          <th scope="row" data-label={t('col.field')}>
                            {loc(f.label, f.id)}
                          </th>
                          <td data-label={t('col.value')} className="value">
                            {formatValue(i18n, v.value, f.type)}
                          </td>
                          <td data-label={t('col.source')}>
                            {loc(sources.get(v.source)?.label, v.source)}
                          </td>
                          <td data-label={t('col.purpose')}>
                            {loc(purposesById.get(v.purpose)?.label, v.purpose)}
                          </td>
                          <td data-label={t('col.collected')}>{i18n.dateTime(v.collectedAt)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </TableScroll>
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
  if (items.length === 0) {
    return <p className="muted">{t('person.historyNone')}</p>;
  }
  const fields = fieldIndex(def);
  const categories = new Map(def.categories.map((c) => [c.id, c]));
  const sources = new Map(def.sources.map((s) => [s.id, s]));
  const purposes = new Map(def.purposes.map((p) => [p.id, p]));
  return (
    <TableScroll label={t('person.history')}>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('col.changed')}</th>
            <th scope="col">{t('col.field')}</th>
            <th scope="col">{t('col.old')}</th>
            <th scope="col">{t('col.new')}</th>
            <th scope="col">{t('col.reason')}</th>
            <th scope="col">{t('col.purpose')}</th>
            <th scope="col">{t('col.source')}</th>
            <th scope="col">{t('col.actor')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((h, i) => {
            const field = fields.get(`${h.category}.${h.field}`);
            return (
              <tr key={`${h.changedAt}-${h.category}-${h.field}-${i}`}>
                <td className="nowrap">{i18n.dateTime(h.changedAt)}</td>
                <td>
                  {loc(categories.get(h.category)?.label, h.category)} ›{' '}
                  {loc(field?.label, h.field)}
                </td>
                <td className="value">{formatValue(i18n, h.old, field?.type)}</td>
                <td className="value">{formatValue(i18n, h.new, field?.type)}</td>
                <td>{h.reason ?? '—'}</td>
                <td>{loc(purposes.get(h.purpose)?.label, h.purpose)}</td>
                <td>{loc(sources.get(h.source)?.label, h.source)}</td>
                <td>{h.actor}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
