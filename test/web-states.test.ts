/**
 * The shared page states and table of the web apps, rendered to HTML without a browser: a
 * loading line, the error with a retry button or the page's own words, the empty state, the
 * content; a table with column headers, row headers and, when stacked, each cell's label.
 */
import { createElement as h } from 'react';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { consoleMessages } from '../web/console/i18n.ts';
import { ApiError } from '../web/shared/api.ts';
import { I18nProvider, createI18n, type Lang } from '../web/shared/i18n.ts';
import { DataTable, QueryState, type Column, type QueryLike } from '../web/shared/ui.tsx';

function render(node: ReactNode, lang: Lang = 'en'): string {
  return renderToStaticMarkup(
    h(I18nProvider, { i18n: createI18n(consoleMessages, lang), children: node }),
  );
}

function query<T>(state: Partial<QueryLike<T>>): QueryLike<T> {
  return {
    isPending: false,
    isError: false,
    error: null,
    data: undefined,
    refetch: () => undefined,
    ...state,
  };
}

const list = (items: string[]) => h('ul', null, ...items.map((i) => h('li', { key: i }, i)));

describe('QueryState', () => {
  it('says it is loading, in the chosen language, as a status', () => {
    const html = render(
      h(QueryState<string[]>, { query: query<string[]>({ isPending: true }), children: list }),
      'fi',
    );
    expect(html).toBe('<p class="loading" role="status">Ladataan…</p>');
  });

  it('shows an error as an alert with a retry button, or the page’s own words for a known one', () => {
    const error = new TypeError('Failed to fetch');
    const html = render(
      h(QueryState<string[]>, { query: query<string[]>({ isError: true, error }), children: list }),
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('The server could not be reached.');
    expect(html).toContain('>Try again</button>');

    const notFound = new ApiError({ type: 'about:blank', title: 'Not Found', status: 404 });
    const known = render(
      h(QueryState<string[]>, {
        query: query<string[]>({ isError: true, error: notFound }),
        knownError: (e) => (e instanceof ApiError && e.status === 404 ? 'No such person.' : null),
        children: list,
      }),
    );
    expect(known).toContain('No such person.');
    expect(known).not.toContain('Try again');
  });

  it('shows the empty state when there is nothing, else the content', () => {
    const empty = render(
      h(QueryState<string[]>, {
        query: query<string[]>({ data: [] }),
        isEmpty: (d) => d.length === 0,
        empty: 'No entries.',
        children: list,
      }),
    );
    expect(empty).toBe('<p class="muted empty-state">No entries.</p>');
    const full = render(
      h(QueryState<string[]>, {
        query: query<string[]>({ data: ['a', 'b'] }),
        isEmpty: (d) => d.length === 0,
        empty: 'No entries.',
        children: list,
      }),
    );
    expect(full).toBe('<ul><li>a</li><li>b</li></ul>');
  });
});

describe('DataTable', () => {
  interface Row {
    id: string;
    name: string;
  }
  const columns: Column<Row>[] = [
    { id: 'id', header: 'Id', rowHeader: true, cell: (r) => r.id },
    { id: 'name', header: 'Name', className: 'wrap', cell: (r) => r.name },
  ];
  const rows = [
    { id: 'r1', name: 'Aino Esimerkki' },
    { id: 'r2', name: 'Bertil Exempel' },
  ];

  it('is a labelled, focusable region with column and row headers', () => {
    const html = render(h(DataTable<Row>, { label: 'People', columns, rows, rowKey: (r) => r.id }));
    expect(html).toContain(
      '<div class="table-scroll" role="region" aria-label="People" tabindex="0">',
    );
    expect(html).toContain('<th scope="col">Id</th><th scope="col">Name</th>');
    expect(html).toContain('<th scope="row">r1</th><td class="wrap">Aino Esimerkki</td>');
    expect(html).not.toContain('data-label');
  });

  it('labels each cell when it stacks on narrow screens, and marks rows', () => {
    const html = render(
      h(DataTable<Row>, {
        label: 'People',
        columns,
        rows,
        rowKey: (r) => r.id,
        stack: true,
        rowClassName: (r) => (r.id === 'r2' ? 'row-muted' : undefined),
      }),
    );
    expect(html).toContain('<table class="table table-stack">');
    expect(html).toContain('<td class="wrap" data-label="Name">Aino Esimerkki</td>');
    expect(html).toContain('<tr class="row-muted"><th scope="row" data-label="Id">r2</th>');
  });
});
