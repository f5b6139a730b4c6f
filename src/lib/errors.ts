/**
 * Domain errors. They know nothing of HTTP: the HTTP layer maps each code to a status
 * (src/http/problem.ts) and the CLI prints the message.
 */
export type AppErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'unauthenticated'
  | 'forbidden'
  | 'subject_restricted'
  | 'conflict'
  | 'payload_too_large'
  | 'locked'
  | 'too_many_requests'
  | 'password_change_required'
  | 'definition_invalid'
  /** Stored data failed its integrity check: altered, moved or rolled back in the database. */
  | 'integrity_failed';

export interface FieldIssue {
  /** Dotted path of the offending input, e.g. `values.contact.email`. */
  field: string;
  detail: string;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly issues: FieldIssue[];
  /** For too_many_requests and locked: whole seconds until trying again may succeed. */
  readonly retryAfter: number | undefined;

  constructor(
    code: AppErrorCode,
    message: string,
    issues: FieldIssue[] = [],
    opts: { retryAfter?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = issues;
    this.retryAfter = opts.retryAfter;
  }
}

export function invalid(field: string, detail: string): AppError {
  return new AppError('validation_failed', `${field}: ${detail}`, [{ field, detail }]);
}

/** One refusal naming every problem found, each with its field. */
export function invalidAll(issues: FieldIssue[]): AppError {
  return new AppError(
    'validation_failed',
    issues.map((i) => `${i.field}: ${i.detail}`).join('; '),
    issues,
  );
}

/**
 * A field's name as every answer gives it: object keys joined by dots, array positions in
 * brackets (`changes[0].state`, `choices[1]`, `values.contact.email`); `fallback` for none.
 */
export function fieldPath(path: ReadonlyArray<PropertyKey>, fallback = 'body'): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? fallback : out;
}

/** What an unknown key of a request is told. */
export const UNKNOWN_KEY_DETAIL = 'unknown field: not accepted here';

/**
 * A zod issue as the fields it names, in `fieldPath`'s style: an unknown key names the key itself
 * (`extra`, `changes[0].extra`), one issue for each. No value is quoted.
 */
export function zodIssueFields(
  issue: { code?: string; path: ReadonlyArray<PropertyKey>; message: string; keys?: unknown },
  fallback = 'body',
): FieldIssue[] {
  if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys) && issue.keys.length > 0) {
    return issue.keys.map((k) => ({
      field: fieldPath([...issue.path, String(k)], fallback),
      detail: UNKNOWN_KEY_DETAIL,
    }));
  }
  return [{ field: fieldPath(issue.path, fallback), detail: issue.message }];
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${String(value)}`);
}
