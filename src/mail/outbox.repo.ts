/** The outbox's SQL. The executor (database or transaction) is the first parameter. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.ts';

type Executor = Kysely<Database>;

export interface OutboxRow {
  id: string;
  template: string;
  locale: string;
  sealed: Buffer;
  queued: boolean;
  created_at: Date;
}

export const outboxRepo = {
  insert: (db: Executor, row: Omit<OutboxRow, 'created_at'>) =>
    db.insertInto('outbox').values(row).execute(),
  get: (db: Executor, id: string) =>
    db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst(),
  remove: (db: Executor, id: string) => db.deleteFrom('outbox').where('id', '=', id).execute(),
  list: (db: Executor, limit: number) =>
    db.selectFrom('outbox').selectAll().orderBy('created_at').orderBy('id').limit(limit).execute(),
  /** Mail that waited for an SMTP server and is not yet queued for delivery. */
  unqueued: (db: Executor, limit: number) =>
    db
      .selectFrom('outbox')
      .select('id')
      .where('queued', '=', false)
      .orderBy('created_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute(),
  markQueued: (db: Executor, id: string) =>
    db.updateTable('outbox').set({ queued: true }).where('id', '=', id).execute(),
};
