/**
 * Finding people for a purpose: one box that takes an e-mail address, a phone number or words of a
 * name or organisation; results page on with the server's cursor.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useApi } from '../../shared/api-context.tsx';
import { detectCriterion, personSummary } from '../../shared/format.ts';
import type { Criterion } from '../../shared/format.ts';
import { useI18n } from '../i18n.ts';
import type { MessageKey } from '../i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
import type { Subject } from '../../shared/api.ts';
import {
  Alert,
  Button,
  DataTable,
  PageHeading,
  QueryState,
  TextField,
  type Column,
} from '../../shared/ui.tsx';
import { PurposeSelect, pickPurpose, useReadablePurposes } from '../purpose.tsx';
import { useDefinition } from '../session.tsx';

function criterionKind(c: Criterion): MessageKey {
  if (!c) {
    return 'search.by.all';
  }
  if ('email' in c) {
    return 'search.by.email';
  }
  if ('phone' in c) {
    return 'search.by.phone';
  }
  return 'search.by.q';
}

export function SearchPage() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const { location, navigate } = useRouter();
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data);
  const purpose = pickPurpose(purposes, location.query.get('purpose'));
  const term = location.query.get('q') ?? '';
  const [text, setText] = useState(term);
  useEffect(() => setText(term), [term]);

  const criterion = detectCriterion(term);
  const results = useInfiniteQuery({
    queryKey: ['subjects', purpose?.id, criterion],
    queryFn: ({ pageParam }) =>
      api.findSubjects({
        purpose: purpose?.id ?? '',
        ...(criterion ?? {}),
        cursor: pageParam,
        limit: 20,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled: Boolean(purpose && criterion),
  });

  const go = (next: { purpose?: string; q?: string }) =>
    // Replacing keeps focus in the form; the person page is pushed, so Back returns here.
    navigate(withQuery('/', { purpose: next.purpose ?? purpose?.id, q: next.q ?? term }), {
      replace: true,
    });

  const items = results.data?.pages.flatMap((p) => p.items) ?? [];
  const def = definition.data;

  const columns: Column<Subject>[] = def
    ? [
        {
          id: 'name',
          header: t('col.name'),
          cell: (s) => (
            <>
              <Link to={withQuery(`/people/${s.id}`, { purpose: purpose?.id })}>
                {personSummary(s, def).name ?? t('search.unnamed')}
              </Link>
              {s.restricted ? (
                <span className="badge badge-warning">{t('person.restricted')}</span>
              ) : null}
            </>
          ),
        },
        { id: 'email', header: t('col.email'), cell: (s) => personSummary(s, def).email ?? '—' },
        { id: 'phone', header: t('col.phone'), cell: (s) => personSummary(s, def).phone ?? '—' },
        {
          id: 'organisation',
          header: t('col.organisation'),
          cell: (s) => personSummary(s, def).organisation ?? '—',
        },
      ]
    : [];

  return (
    <section className="page">
      <PageHeading title={t('search.title')}>{t('search.title')}</PageHeading>
      <QueryState query={definition}>
        {() =>
          purpose ? (
            <>
              <form
                className="card search-form"
                role="search"
                onSubmit={(e) => {
                  e.preventDefault();
                  go({ q: text.trim() });
                }}
              >
                <PurposeSelect
                  id="search-purpose"
                  purposes={purposes}
                  value={purpose.id}
                  onChange={(p) => go({ purpose: p })}
                />
                <div className="search-row">
                  <TextField
                    id="search-term"
                    label={t('search.input')}
                    type="search"
                    name="q"
                    autoComplete="off"
                    spellCheck={false}
                    value={text}
                    hint={text.trim() ? t(criterionKind(detectCriterion(text))) : undefined}
                    onChange={(e) => setText(e.target.value)}
                  />
                  <Button type="submit">{t('search.submit')}</Button>
                </div>
              </form>

              {criterion ? (
                <section className="results" aria-labelledby="results-heading">
                  <h2 id="results-heading">{t('search.results')}</h2>
                  <p className="muted" role="status">
                    {results.isSuccess
                      ? items.length === 0
                        ? t('search.none')
                        : `${t(criterionKind(criterion))} ${t('search.count', { count: items.length })}`
                      : ''}
                  </p>
                  <QueryState query={results}>
                    {() => (
                      <>
                        {items.length > 0 ? (
                          <DataTable
                            label={t('search.results')}
                            columns={columns}
                            rows={items}
                            rowKey={(s) => s.id}
                            stack
                          />
                        ) : null}
                        {results.hasNextPage ? (
                          <Button
                            variant="secondary"
                            busy={results.isFetchingNextPage}
                            onClick={() => void results.fetchNextPage()}
                          >
                            {t('search.more')}
                          </Button>
                        ) : null}
                      </>
                    )}
                  </QueryState>
                </section>
              ) : null}
            </>
          ) : (
            <Alert kind="warning">{t('purpose.none')}</Alert>
          )
        }
      </QueryState>
    </section>
  );
}
