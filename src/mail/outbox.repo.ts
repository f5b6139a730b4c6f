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
  /** Sealed under a key of its own in the key store, named by the row's id (0029). */
  own_key: boolean;
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
  /**
   * Removes every row that expired by `now`, delivered or not; answers how many, and the ids of
   * those sealed under keys of their own (whose keys are to be destroyed).
   */
  async removeExpired(ex: Executor, now: Date): Promise<{ removed: number; ownKeys: string[] }> {
    const rows = await ex
      .deleteFrom('outbox')
      .where('expires_at', '<=', now)
      .returning(['id', 'own_key'])
      .execute();
    return { removed: rows.length, ownKeys: rows.filter((r) => r.own_key).map((r) => r.id) };
  },
  /** Removes every row to one person (their erasure); answers how many. */
  async removeForSubject(ex: Executor, subjectId: string): Promise<number> {
    const r = await ex.deleteFrom('outbox').where('subject_id', '=', subjectId).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
