/**
 * The one transaction convention: every repo method takes its executor (the database or an open
 * transaction) as its first parameter, and services open transactions with `withTransaction`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.ts';

/** What a repo method runs on: the database itself, or a transaction a service opened. */
export type Executor = Kysely<Database>;

/** Runs `fn` in one transaction on `db`: committed when it returns, rolled back when it throws. */
export function withTransaction<T>(
  db: Kysely<Database>,
  fn: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(fn);
}
