/**
 * Legal holds and the suppression list (issue 10, erasure).
 *
 * A held record is a subjects row made by an erasure: the categories a legal hold keeps,
 * re-sealed under a new key, readable only for the hold's purpose (`held_purpose`) until
 * `held_until` (a calendar date, the last day kept), when a daily job shreds it. `held_holds`
 * names the holds (definition ids), `erased_from` the erased person it was taken from (a
 * tombstone). No personal data in any of these columns.
 *
 * The suppression list keeps, after an erasure, only the keyed blind index of each e-mail address
 * and phone number the person had (the same keys as `subjects.email_index`/`phone_index`), when,
 * and the erasure's reason code: an import or API create of the address is refused.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table subjects
    add column held_purpose text,
    add column held_until date,
    add column held_holds text[],
    add column erased_from uuid`.execute(db);
  await sql`alter table subjects add constraint subjects_held_complete
    check ((held_purpose is null) = (held_until is null))`.execute(db);
  await sql`create index subjects_held_until on subjects (held_until)
    where held_until is not null and erased_at is null`.execute(db);
  // A primary e-mail address stays unique among people; a held record may keep the address of
  // the person it was taken from (for a lookup under the hold's purpose) beside a new person.
  await sql`drop index subjects_email_index`.execute(db);
  await sql`create unique index subjects_email_index on subjects (email_index)
    where held_purpose is null`.execute(db);
  await sql`create index subjects_held_email_index on subjects (email_index)
    where held_purpose is not null`.execute(db);
  await sql`
    create table suppression (
      kind text not null check (kind in ('email', 'phone')),
      index_value bigint not null,
      suppressed_at timestamptz not null,
      reason text not null,
      primary key (kind, index_value)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists suppression`.execute(db);
  await sql`drop index if exists subjects_held_until`.execute(db);
  await sql`drop index if exists subjects_held_email_index`.execute(db);
  await sql`drop index subjects_email_index`.execute(db);
  await sql`create unique index subjects_email_index on subjects (email_index)`.execute(db);
  await sql`alter table subjects drop constraint if exists subjects_held_complete,
    drop column if exists held_purpose, drop column if exists held_until,
    drop column if exists held_holds, drop column if exists erased_from`.execute(db);
}
