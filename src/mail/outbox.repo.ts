/** The outbox's SQL. The executor (database or transaction) is the first parameter. */
import type { Executor } from '../db/transaction.ts';

export interface OutboxRow {
  id: string;
  template: string;
  locale: string;
  sealed: Buffer;
  queued: boolean;
  created_at: Date;
  subject_id: string | null;
  expires_at: Date;
}

export const outboxRepo = {
  insert: (ex: Executor, row: Omit<OutboxRow, 'created_at'>) =>
    ex.insertInto('outbox').values(row).execute(),
  get: (ex: Executor, id: string) =>
    ex.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst(),
  remove: (ex: Executor, id: string) => ex.deleteFrom('outbox').where('id', '=', id).execute(),
  /** Mail not yet expired at `now`, oldest first. */
  list: (ex: Executor, now: Date, limit: number) =>
    ex
      .selectFrom('outbox')
      .selectAll()
      .where('expires_at', '>', now)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute(),
  /** Mail that waited for an SMTP server and is not yet queued for delivery (nor expired). */
  unqueued: (ex: Executor, now: Date, limit: number) =>
    ex
      .selectFrom('outbox')
      .select('id')
      .where('queued', '=', false)
      .where('expires_at', '>', now)
      .orderBy('created_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute(),
  markQueued: (ex: Executor, id: string) =>
    ex.updateTable('outbox').set({ queued: true }).where('id', '=', id).execute(),
  /** Removes every row that expired by `now`, delivered or not; answers how many. */
  async removeExpired(ex: Executor, now: Date): Promise<number> {
    const r = await ex.deleteFrom('outbox').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
  /** Removes every row to one person (their erasure); answers how many. */
  async removeForSubject(ex: Executor, subjectId: string): Promise<number> {
    const r = await ex.deleteFrom('outbox').where('subject_id', '=', subjectId).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
