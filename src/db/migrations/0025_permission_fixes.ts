/**
 * Fixes from the review of the permission ledger (docs/permissions.md):
 *
 * - A double opt-in sign-up no longer creates or touches a person until its confirmation link is
 *   followed: `permission_links` holds the pending sign-up without a person (`subject_id` null),
 *   the address sealed (`email_sealed`, under a key derived for that use) and its keyed hash
 *   (`email_key`, to send no second confirmation to an address within a window). The row expires
 *   with the link and is deleted then.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table permission_links alter column subject_id drop not null`.execute(db);
  await sql`alter table permission_links add column email_sealed bytea`.execute(db);
  await sql`alter table permission_links add column email_key bytea`.execute(db);
  await sql`alter table permission_links add constraint permission_links_whose
    check (subject_id is not null or (kind = 'confirm' and email_sealed is not null))`.execute(db);
  await sql`create index permission_links_email on permission_links (email_key, created_at)
    where email_key is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from permission_links where subject_id is null`.execute(db);
  await sql`drop index permission_links_email`.execute(db);
  await sql`alter table permission_links drop constraint permission_links_whose`.execute(db);
  await sql`alter table permission_links drop column email_key`.execute(db);
  await sql`alter table permission_links drop column email_sealed`.execute(db);
  await sql`alter table permission_links alter column subject_id set not null`.execute(db);
}
