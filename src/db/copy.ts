/**
 * Bulk writes with COPY … FROM STDIN in PostgreSQL's text format: far cheaper for the server than
 * an INSERT of the same rows, which has to parse one large array parameter per column. Used by
 * imports; every other write goes through Kysely.
 */
import type { Kysely } from 'kysely';
import { arrayLiteral } from './array-literal.ts';
import type { Database } from './types.ts';

/** The shared encoder, also for callers that import it from here. */
export { arrayLiteral };

/** A value as a COPY column takes it. Arrays are one-dimensional arrays of text or numbers. */
export type CopyValue = string | number | bigint | Date | Uint8Array | readonly string[] | null;

/** Copies rows into `table` (its `columns`, in order) inside the caller's transaction. */
export type CopyIn = (
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly CopyValue[]>,
) => Promise<void>;

/**
 * Copies lines already in COPY text format (a backup's) into `table` inside the caller's
 * transaction.
 */
export type CopyInText = (
  table: string,
  columns: readonly string[],
  lines: AsyncIterable<string>,
) => Promise<void>;

/** Runs `fn` in one transaction where `copy` writes into the same transaction. */
export type BulkTransaction = <T>(
  fn: (tx: Kysely<Database>, copy: CopyIn, copyText: CopyInText) => Promise<T>,
) => Promise<T>;

/** A table's rows in COPY text format, in chunks of whole or partial lines. */
export type CopyOut = (table: string, columns: readonly string[]) => AsyncIterable<string>;

/** Runs `fn` on one consistent, read-only view of the database (a backup). */
export type Snapshot = <T>(
  fn: (tx: Kysely<Database>, copyOut: CopyOut) => Promise<T>,
) => Promise<T>;

/** Backslash, tab, newline and carriage return are what the text format escapes. */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const escapeText = (s: string) =>
  NEEDS_ESCAPE.test(s)
    ? s
        .replaceAll('\\', '\\\\')
        .replaceAll('\t', '\\t')
        .replaceAll('\n', '\\n')
        .replaceAll('\r', '\\r')
    : s;

function field(v: CopyValue): string {
  if (v === null) {
    return '\\N';
  }
  if (typeof v === 'string') {
    return escapeText(v);
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    return String(v);
  }
  if (v instanceof Date) {
    return v.toISOString();
  }
  if (v instanceof Uint8Array) {
    // bytea in hex: \x… , with the backslash itself escaped for the text format.
    const hex = Buffer.isBuffer(v)
      ? v.toString('hex')
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
    return `\\\\x${hex}`;
  }
  return escapeText(arrayLiteral(v));
}

/** Rows in COPY text format, one line each. */
export function copyText(rows: ReadonlyArray<readonly CopyValue[]>): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      out += i === 0 ? field(row[i] as CopyValue) : `\t${field(row[i] as CopyValue)}`;
    }
    out += '\n';
  }
  return out;
}

/** The COPY statement for a table and its columns; both are our own identifiers, checked here. */
export function copyStatement(
  table: string,
  columns: readonly string[],
  source: string,
  direction: 'from' | 'to' = 'from',
): string {
  for (const name of [table, ...columns]) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
      throw new Error(`not a plain identifier: ${name}`);
    }
  }
  return `copy ${table} (${columns.join(', ')}) ${direction} ${source}`;
}
