/**
 * Telling people of a material change of the privacy notice (src/modules/notice/announce.ts):
 *
 * - `notice_announcements`: each run of "tell people of version N" (who started it, when, how many
 *   were to be told then, how many were mailed, where the batches are: the last person's id done);
 * - `notice_announced`: one row per version and person mailed, and only the person's id: the
 *   primary key is what makes a second run mail nobody twice.
 *
 * No personal data but ids (the addresses go sealed in the outbox). A person's row keeps their id
 * after an erasure, as a campaign's send row and the access log do: it says only that a notice
 * was mailed.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table notice_announcements (
      id uuid primary key,
      version integer not null references notice_versions (version),
      started_at timestamptz not null,
      started_by text not null,
      finished_at timestamptz,
      eligible bigint not null,
      mailed bigint not null default 0,
      after_subject uuid
    )`.execute(db);
  // One run of a version at a time: the batches of two would only race for the same people.
  await sql`create unique index notice_announcements_running on notice_announcements (version)
    where finished_at is null`.execute(db);
  await sql`
    create table notice_announced (
      version integer not null references notice_versions (version),
      subject_id uuid not null,
      announcement_id uuid not null references notice_announcements (id),
      mailed_at timestamptz not null,
      primary key (version, subject_id)
    )`.execute(db);
  await sql`create index notice_announced_run on notice_announced (announcement_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists notice_announced`.execute(db);
  await sql`drop table if exists notice_announcements`.execute(db);
}
