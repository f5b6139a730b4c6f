/**
 * The register's published summary (GET /api/v1/definition): the controller, purposes and legal
 * bases, categories, sources, recipients, transfers, retention, and the rights a person has here
 * with the ways to use them.
 */
import { useMemo } from 'react';
import type { Definition } from '../../shared/api.ts';
import { legalBasisLabel } from '../../shared/format.ts';
import { knownText, useI18n } from '../i18n.ts';
import { Rights } from './Rights.tsx';

export function Summary({ def }: { def: Definition }) {
  const i18n = useI18n();
  const { lang, loc } = i18n;
  const p = i18n.t;
  const regions = useMemo(() => new Intl.DisplayNames([lang], { type: 'region' }), [lang]);
  // `unknown`: the register does not say where the recipient is.
  const country = (code: string) =>
    code === 'unknown' ? i18n.t('common.notStated') : (regions.of(code) ?? code);
  const categoryLabel = useMemo(() => {
    const labels = new Map(def.categories.map((c) => [c.id, c.label]));
    return (id: string) => loc(labels.get(id), id);
  }, [def.categories, loc]);
  const recipientName = new Map(def.recipients.map((r) => [r.id, loc(r.name)]));
  const c = def.controller;

  return (
    <>
      <p className="portal-lead">{p('portal.intro')}</p>

      <section aria-labelledby="controller-heading" className="card">
        <h2 id="controller-heading">{p('portal.controller')}</h2>
        <p className="portal-controller">{c.name}</p>
        <dl className="portal-facts">
          <dt>{p('portal.businessId')}</dt>
          <dd>{c.businessId}</dd>
          <dt>{p('portal.email')}</dt>
          <dd>
            <a href={`mailto:${c.email}`}>{c.email}</a>
          </dd>
          {c.phone ? (
            <>
              <dt>{p('portal.phone')}</dt>
              <dd>{c.phone}</dd>
            </>
          ) : null}
          {c.website ? (
            <>
              <dt>{p('portal.website')}</dt>
              <dd>
                <a href={c.website} rel="noreferrer">
                  {c.website}
                </a>
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <section aria-labelledby="purposes-heading">
        <h2 id="purposes-heading">{p('portal.purposes')}</h2>
        {def.purposes.map((purpose) => (
          <article key={purpose.id} className="card" aria-labelledby={`purpose-${purpose.id}`}>
            <h3 id={`purpose-${purpose.id}`}>{loc(purpose.label, purpose.id)}</h3>
            <p>{loc(purpose.description)}</p>
            <dl className="portal-facts">
              <dt>{p('portal.legalBasis')}</dt>
              <dd>{legalBasisLabel(i18n, purpose.legalBasis)}</dd>
              <dt>{p('portal.usesCategories')}</dt>
              <dd>{i18n.list(purpose.categories.map(categoryLabel))}</dd>
            </dl>
          </article>
        ))}
      </section>

      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading">{p('portal.categories')}</h2>
        <ul className="portal-list">
          {def.categories.map((category) => (
            <li key={category.id}>
              <strong>{loc(category.label, category.id)}</strong>
              {category.fields.length > 0 ? (
                <>: {i18n.list(category.fields.map((f) => loc(f.label, f.id)))}</>
              ) : null}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="sources-heading">
        <h2 id="sources-heading">{p('portal.sources')}</h2>
        <ul className="portal-list">
          {def.sources.map((source) => (
            <li key={source.id}>{loc(source.label, source.id)}</li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="recipients-heading">
        <h2 id="recipients-heading">{p('portal.recipients')}</h2>
        {def.recipients.length === 0 ? <p>{p('portal.noRecipients')}</p> : null}
        {def.recipients.map((r) => (
          <article key={r.id} className="card" aria-labelledby={`recipient-${r.id}`}>
            <h3 id={`recipient-${r.id}`}>{loc(r.name)}</h3>
            <p className="muted">{knownText(i18n, 'role', r.role)}</p>
            <p>{loc(r.description)}</p>
            <dl className="portal-facts">
              <dt>{p('portal.country')}</dt>
              <dd>{country(r.country)}</dd>
              <dt>{p('portal.usesCategories')}</dt>
              <dd>{i18n.list(r.categories.map(categoryLabel))}</dd>
            </dl>
          </article>
        ))}
      </section>

      <section aria-labelledby="transfers-heading">
        <h2 id="transfers-heading">{p('portal.transfers')}</h2>
        {def.transfers.length === 0 ? <p>{p('portal.noTransfers')}</p> : null}
        <ul className="portal-list">
          {def.transfers.map((t) => (
            <li key={`${t.recipient}-${t.country}`}>
              <strong>{recipientName.get(t.recipient) ?? t.recipient}</strong>, {country(t.country)}
              {t.mechanism ? <> · {knownText(i18n, 'mechanism', t.mechanism)}</> : null}
              {t.description ? <p className="muted">{loc(t.description)}</p> : null}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="retention-heading">
        <h2 id="retention-heading">{p('portal.retention')}</h2>
        <ul className="portal-list">
          {def.retentionRules.map((rule) => (
            <li key={rule.id}>
              <strong>{loc(rule.label, rule.id)}</strong>:{' '}
              {rule.duration === 'unknown'
                ? i18n.t('common.notStated')
                : p('portal.retentionRule', {
                    duration: i18n.duration(rule.duration),
                    event: knownText(i18n, 'event', rule.from),
                  })}
            </li>
          ))}
        </ul>
      </section>

      <Rights def={def} />

      <p className="muted small">{p('portal.version', { version: def.version })}</p>
    </>
  );
}
