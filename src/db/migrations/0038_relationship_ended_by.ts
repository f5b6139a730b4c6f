/**
 * Which purpose ended a person's customer relationship (docs/retention.md): only a purpose under
 * which the person has data ends it, and only the purpose that ended it (or the operator's CLI)
 * resumes it. Null for an end recorded before this column, which any such purpose resumes. No
 * personal data: a purpose id.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table subject_retention add column relationship_ended_by text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table subject_retention drop column if exists relationship_ended_by`.execute(db);
}
