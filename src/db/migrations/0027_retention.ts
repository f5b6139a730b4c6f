/**
 * Retention events (src/modules/retention, docs/retention.md): per person, when the customer
 * relationship ended (an API call or a console action) and when the person was last active (the
 * latest write to their data, or their own use of the portal). No personal data: an id and two
 * times. The row goes with the person's erasure. The partial index finds those whose relationship
 * has ended, for the sweep's plan.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subject_retention (
      subject_id uuid primary key references subjects (id),
      relationship_ended_at timestamptz,
      last_activity_at timestamptz
    )`.execute(db);
  await sql`create index subject_retention_ended on subject_retention (relationship_ended_at)
    where relationship_ended_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists subject_retention`.execute(db);
}
