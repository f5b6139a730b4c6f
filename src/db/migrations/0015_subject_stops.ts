/**
 * Per-person stops (Art. 7(3), 21; Information Society Code ch. 24): a purpose no longer processes
 * a person who objected, withdrew consent or prohibited direct marketing. One row per purpose and
 * reason, so that resuming one reason (new consent) leaves a stop for another in place. The data
 * layer reads these rows in every query that answers people for a purpose (NOT EXISTS), so the
 * primary key leads with the person and the purpose.
 *
 * `subject_compelling_grounds`: the purposes that go on after an objection because staff recorded
 * compelling legitimate grounds (Art. 21(1)); the grounds are sealed with the person's key (they
 * may say something about the person) and go when the person is erased.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subject_stops (
      subject_id uuid not null references subjects (id) on delete cascade,
      purpose text not null,
      reason text not null
        check (reason in ('objection', 'consent_withdrawal', 'marketing_prohibition')),
      since timestamptz not null,
      primary key (subject_id, purpose, reason)
    )`.execute(db);
  await sql`
    create table subject_compelling_grounds (
      subject_id uuid not null references subjects (id) on delete cascade,
      purpose text not null,
      since timestamptz not null,
      sealed_reason bytea not null,
      recorded_by text not null,
      primary key (subject_id, purpose)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists subject_compelling_grounds`.execute(db);
  await sql`drop table if exists subject_stops`.execute(db);
}
