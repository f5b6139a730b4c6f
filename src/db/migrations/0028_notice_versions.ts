/**
 * Published versions of the privacy notice (src/modules/notice): each freezes, with its date, the
 * register definition it was made from (`definition`, no personal data) and the notice as it read
 * then in each language (`notice`, Markdown by language). A version is never changed; a change of
 * purposes, bases, recipients, transfers or retention calls for a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table notice_versions (
      version integer primary key check (version > 0),
      notice_date date not null,
      published_at timestamptz not null,
      published_by text not null,
      digest text not null,
      definition jsonb not null,
      notice jsonb not null
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists notice_versions`.execute(db);
}
