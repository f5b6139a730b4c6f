/**
 * Access-log events carry structured data (`data jsonb`): each event's declaration describes it
 * with a zod schema of non-personal values, and the MAC (version 2) and the chain cover it. The
 * free-text `detail` of older events stays readable, and those events keep verifying under
 * version 1 of the MAC.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events add column data jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events drop column if exists data`.execute(db);
}
