/**
 * Delivering an access copy without e-mail, and letters that do not outlive their use
 * (src/modules/requests).
 *
 * An access or portability request that gives no e-mail address cannot use the portal's download
 * link: staff print the copy and post it or hand it over. `delivery_how` is how the completion
 * said it would reach the person (`post`, `handed_over`); `delivered_*` record when and how it
 * did, by whom.
 *
 * Letters: an erased person's completion letter is sealed under a key of its own in the key store
 * (`sealed_with = 'letter'`, the key named by the letter's id), no longer under the server's
 * secret, so destroying that key makes every copy of it unreadable, backups included. A letter no
 * longer waits once sent, or once it is closed without being sent (`closed_why`): its request's
 * data was shredded (`shredded`), or it waited longer than letters are kept (`expired`); its text
 * is dropped then.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table requests
    add column delivery_how text check (delivery_how in ('post', 'handed_over')),
    add column delivered_how text check (delivered_how in ('post', 'handed_over')),
    add column delivered_on date,
    add column delivered_by text,
    add check ((delivered_how is null) = (delivered_on is null)),
    add check ((delivered_how is null) = (delivered_by is null))`.execute(db);
  await sql`alter table request_letters drop constraint request_letters_sealed_with_check`.execute(
    db,
  );
  await sql`alter table request_letters
    add constraint request_letters_sealed_with_check
      check (sealed_with in ('request', 'server', 'letter')),
    add column closed_why text check (closed_why in ('shredded', 'expired')),
    add column closed_at timestamptz,
    add check ((closed_why is null) = (closed_at is null))`.execute(db);
  await sql`drop index request_letters_waiting`.execute(db);
  await sql`create index request_letters_waiting on request_letters (due_at)
    where sent_how is null and closed_why is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index request_letters_waiting`.execute(db);
  await sql`create index request_letters_waiting on request_letters (due_at) where sent_how is null`.execute(
    db,
  );
  await sql`alter table request_letters
    drop column closed_why,
    drop column closed_at,
    drop constraint request_letters_sealed_with_check`.execute(db);
  await sql`alter table request_letters
    add constraint request_letters_sealed_with_check check (sealed_with in ('request', 'server'))`.execute(
    db,
  );
  await sql`alter table requests
    drop column delivery_how,
    drop column delivered_how,
    drop column delivered_on,
    drop column delivered_by`.execute(db);
}
