/**
 * SQL for the settings table (one value per key, no personal data) and the questions a start asks
 * of a database: whether it has ever been used, and how many people it holds. Every method runs on
 * the executor it is given.
 */
import { sql } from 'kysely';
import type { Executor } from './transaction.ts';

export function createSettingsRepo() {
  return {
    async get(ex: Executor, key: string): Promise<string | undefined> {
      const row = await ex
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },

    /** Inserts the value unless the key has one already; never overwrites. */
    async insertIfAbsent(ex: Executor, key: string, value: string): Promise<void> {
      await ex
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    },

    /** Sets the value, replacing any the key had. */
    async put(ex: Executor, key: string, value: string): Promise<void> {
      await ex
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },

    async remove(ex: Executor, key: string): Promise<void> {
      await ex.deleteFrom('settings').where('key', '=', key).execute();
    },

    /** Whether the database holds any person (erased or not), staff account or access log entry. */
    async inUse(ex: Executor): Promise<boolean> {
      const r = await sql<{ used: boolean }>`
        select exists (select 1 from subjects)
            or exists (select 1 from staff)
            or exists (select 1 from audit_events) as used`.execute(ex);
      return r.rows[0]?.used === true;
    },

    /** How many people the database holds who have not been erased. */
    async livePeople(ex: Executor): Promise<number> {
      const live = await ex
        .selectFrom('subjects')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('erased_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(live.n);
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
