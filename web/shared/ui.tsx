/**
 * The small UI kit of the web apps: labelled fields, buttons, alerts, badges, scrollable tables,
 * a modal dialog, the page heading that takes focus on navigation and the polite live region.
 */
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState } from 'react';
import type {
  ButtonHTMLAttributes,
  InputHTMLAttributes,
  MouseEvent,
  ReactNode,
  Ref,
  SelectHTMLAttributes,
  TextareaHTMLAttributes,
} from 'react';
import { ApiError, NetworkError } from './api.ts';
import { LANGUAGE_NAMES, LANGUAGES, isLang, useI18n, type I18n } from './i18n.ts';
import { useRouter } from './router.tsx';

// ---------------------------------------------------------------------------------------------
// Live region
// ---------------------------------------------------------------------------------------------

const AnnounceContext = createContext<(message: string) => void>(() => undefined);

/** A polite live region for status messages ("Role changed"), shared by the whole app. */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState('');
  const announce = useCallback((m: string) => {
    // Clearing first makes screen readers repeat a message that is announced twice.
    setMessage('');
    window.setTimeout(() => setMessage(m), 50);
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        {message}
      </div>
    </AnnounceContext.Provider>
  );
}

export function useAnnounce(): (message: string) => void {
  return useContext(AnnounceContext);
}

// ---------------------------------------------------------------------------------------------
// Page heading
// ---------------------------------------------------------------------------------------------

/**
 * The page's h1. It takes focus after every navigation inside the app, so that keyboard and
 * screen-reader users start reading the new page, and it names the document.
 */
export function PageHeading({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const { location } = useRouter();
  const { t } = useI18n();
  useEffect(() => {
    if (location.key > 0) {
      ref.current?.focus();
    }
  }, [location.key]);
  useEffect(() => {
    document.title = `${title} · ${t('app.name')}`;
  }, [title, t]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}

// ---------------------------------------------------------------------------------------------
// Forms
// ---------------------------------------------------------------------------------------------

interface FieldShell {
  label: string;
  hint?: string;
  error?: string | null;
}

function describedBy(id: string, hint?: string, error?: string | null): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function FieldFrame({
  id,
  label,
  hint,
  error,
  children,
}: FieldShell & { id: string; children: ReactNode }) {
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  hint,
  error,
  id: givenId,
  ...input
}: FieldShell & InputHTMLAttributes<HTMLInputElement> & { ref?: Ref<HTMLInputElement> }) {
  const autoId = useId();
  const id = givenId ?? autoId;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...input}
      />
    </FieldFrame>
  );
}

export function SelectField({
  label,
  hint,
  error,
  id: givenId,
  children,
  ...select
}: FieldShell & SelectHTMLAttributes<HTMLSelectElement>) {
  const autoId = useId();
  const id = givenId ?? autoId;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <select
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...select}
      >
        {children}
      </select>
    </FieldFrame>
  );
}

export function TextAreaField({
  label,
  hint,
  error,
  id: givenId,
  ...textarea
}: FieldShell & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const autoId = useId();
  const id = givenId ?? autoId;
  return (
    <FieldFrame id={id} label={label} hint={hint} error={error}>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...textarea}
      />
    </FieldFrame>
  );
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'link';
  busy?: boolean;
};

export function Button({
  variant = 'primary',
  busy = false,
  type = 'button',
  className,
  disabled,
  children,
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type}
      className={['button', `button-${variant}`, className].filter(Boolean).join(' ')}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {children}
    </button>
  );
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

export function Alert({
  kind = 'error',
  children,
  title,
}: {
  kind?: 'error' | 'info' | 'success' | 'warning';
  children: ReactNode;
  title?: string;
}) {
  // Errors interrupt (role=alert); other messages are polite status updates.
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title ? <p className="alert-title">{title}</p> : null}
      <div>{children}</div>
    </div>
  );
}

/** A readable message for any error a request can end in. */
export function describeError(i18n: I18n, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403 && !error.problem.errors?.length) {
      return error.problem.detail
        ? `${i18n.t('error.forbidden')} (${error.problem.detail})`
        : i18n.t('error.forbidden');
    }
    return i18n.t('error.generic', {
      status: error.status,
      detail: error.problem.detail ?? error.problem.title,
    });
  }
  if (error instanceof NetworkError || error instanceof TypeError) {
    return i18n.t('error.network');
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const i18n = useI18n();
  return (
    <Alert kind="error">
      <p>{describeError(i18n, error)}</p>
      {onRetry ? (
        <Button variant="secondary" onClick={onRetry}>
          {i18n.t('common.retry')}
        </Button>
      ) : null}
    </Alert>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {label ?? t('app.loading')}
    </p>
  );
}

export function Badge({
  kind = 'neutral',
  children,
}: {
  kind?: 'neutral' | 'warning' | 'success' | 'danger';
  children: ReactNode;
}) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/**
 * A table that scrolls sideways on narrow screens. The wrapper is a focusable, labelled region
 * so that keyboard users can scroll it too.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // A scrollable region must be reachable by keyboard (WCAG 2.1.1).
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** One column of a DataTable: its header and how a row fills its cell. */
export interface Column<T> {
  /** Unique within the table. */
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** The cell names its row (<th scope="row">), such as a username. */
  rowHeader?: boolean;
  className?: string;
}

/**
 * The console's table: a labelled, keyboard-scrollable region, headers with scope, one row per
 * item. `stack` turns each row into a card of label–value lines on narrow screens (the header
 * repeated in data-label).
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowClassName,
  className,
  stack = false,
}: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T, index: number) => string;
  rowClassName?: (row: T) => string | undefined;
  className?: string;
  stack?: boolean;
}) {
  const classes = ['table', stack ? 'table-stack' : null, className].filter(Boolean).join(' ');
  return (
    <TableScroll label={label}>
      <table className={classes}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.id} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)} className={rowClassName?.(row)}>
              {columns.map((c) => {
                const props = {
                  className: c.className,
                  'data-label': stack ? c.header : undefined,
                };
                return c.rowHeader ? (
                  <th key={c.id} scope="row" {...props}>
                    {c.cell(row)}
                  </th>
                ) : (
                  <td key={c.id} {...props}>
                    {c.cell(row)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

// ---------------------------------------------------------------------------------------------
// Loading, error and empty states
// ---------------------------------------------------------------------------------------------

/** What QueryState needs of a TanStack Query result (plain or infinite). */
export interface QueryLike<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
  refetch: () => unknown;
}

/** A quiet line saying there is nothing to show. */
export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="muted empty-state">{children}</p>;
}

/**
 * The states every page repeats for what it reads: a loading line while waiting, the error with
 * a retry button (or the page's own words for an error it knows), the empty state when there is
 * nothing, and otherwise the content.
 */
export function QueryState<T>({
  query,
  loadingLabel,
  knownError,
  isEmpty,
  empty,
  children,
}: {
  query: QueryLike<T>;
  loadingLabel?: string;
  /** The page's own message for an error it expects (a 404, a refusal), else null. */
  knownError?: (error: unknown) => string | null;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) {
    return <Loading label={loadingLabel} />;
  }
  if (query.isError || query.data === undefined) {
    const known = knownError?.(query.error) ?? null;
    return known ? (
      <Alert kind="error">{known}</Alert>
    ) : (
      <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />
    );
  }
  if (isEmpty?.(query.data)) {
    return empty === undefined ? null : <EmptyState>{empty}</EmptyState>;
  }
  return <>{children(query.data)}</>;
}

// ---------------------------------------------------------------------------------------------
// Dialog
// ---------------------------------------------------------------------------------------------

/**
 * A modal dialog on the native <dialog> element: focus is kept inside, Escape closes it, and
 * focus returns to where it was when it closes.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
  closeLabel,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  closeLabel?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const { t } = useI18n();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) {
      return;
    }
    if (open && !dialog.open) {
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={headingId} onClose={onClose}>
      <h2 id={headingId}>{title}</h2>
      {children}
      <div className="dialog-actions">
        <Button onClick={onClose}>{closeLabel ?? t('common.close')}</Button>
      </div>
    </dialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Page frame
// ---------------------------------------------------------------------------------------------

export function LanguageSwitcher({ id }: { id: string }) {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="language">
      <label htmlFor={id}>{t('app.language')}</label>
      <select
        id={id}
        value={lang}
        onChange={(e) => {
          if (isLang(e.target.value)) {
            setLang(e.target.value);
          }
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SkipLink() {
  const { t } = useI18n();
  const skip = (e: MouseEvent<HTMLAnchorElement>) => {
    const main = document.getElementById('main');
    if (main) {
      e.preventDefault();
      main.focus();
    }
  };
  return (
    <a className="skip-link" href="#main" onClick={skip}>
      {t('app.skip')}
    </a>
  );
}

// ---------------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------------

/** Groups a secret in fours for reading aloud or typing: ABCD EFGH … */
export function groupInFours(s: string): string {
  return (s.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}
