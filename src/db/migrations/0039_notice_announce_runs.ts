/**
 * Notice announcements (docs/notice.md "Telling people of a change"): which version a run tells
 * people of the changes since (the last one announced, else 1); how many people it skipped because
 * their mail was refused; and when it failed for good (its job gave up), which also ends it so a
 * new run can start. No personal data: counts and version numbers.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notice_announcements
    add column since_version integer,
    add column skipped bigint not null default 0,
    add column failed_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table notice_announcements
    drop column if exists since_version,
    drop column if exists skipped,
    drop column if exists failed_at`.execute(db);
}
