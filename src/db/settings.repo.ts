/**
 * SQL for the settings table (one value per key, no personal data) and the question whether a
 * database has ever been used.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types.ts';

export function createSettingsRepo(db: Kysely<Database>) {
  return {
    async get(key: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },

    /** Inserts the value unless the key has one already; never overwrites. */
    async insertIfAbsent(key: string, value: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    },

    /** Whether the database holds any person (erased or not), staff account or access log entry. */
    async inUse(): Promise<boolean> {
      const r = await sql<{ used: boolean }>`
        select exists (select 1 from subjects)
            or exists (select 1 from staff)
            or exists (select 1 from audit_events) as used`.execute(db);
      return r.rows[0]?.used === true;
    },
  };
}
