/**
 * Letters to send (src/modules/requests): where the person must be told of a step of their request
 * (the acknowledgement, an extension, a refusal, the completion, the notice before a restriction
 * is lifted) and the request gives no e-mail address, a letter is recorded instead of a mail. Its
 * template, language and the template's data with the person's name and postal address are sealed
 * in `sealed`: under the request's own key (`sealed_with = 'request'`), or the server's secret
 * when the person's key is gone with an erasure and the letter must still reach them
 * (`sealed_with = 'server'`). `has_address` says whether it can be posted at all; staff record
 * how and when the person was told (`sent_*`), and a letter sent is no longer waiting.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table request_letters (
      id uuid primary key,
      request_id uuid not null references requests (id) on delete cascade,
      template text not null,
      lang text not null check (lang in ('sv', 'fi', 'en')),
      sealed bytea not null,
      sealed_with text not null check (sealed_with in ('request', 'server')),
      has_address boolean not null,
      due_at timestamptz not null,
      sent_how text check (sent_how in ('post', 'handed_over', 'phone')),
      sent_on date,
      sent_by text,
      sent_recorded_at timestamptz,
      check ((sent_how is null) = (sent_on is null)),
      check ((sent_how is null) = (sent_by is null))
    )`.execute(db);
  await sql`create index request_letters_request on request_letters (request_id)`.execute(db);
  await sql`create index request_letters_waiting on request_letters (due_at) where sent_how is null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists request_letters`.execute(db);
}
