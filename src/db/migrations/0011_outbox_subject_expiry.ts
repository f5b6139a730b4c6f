/**
 * Outbox mail tied to a person, and its expiry. `subject_id` names the person a mail is to (null
 * for an address not tied to anyone yet, such as one being verified): such a row is sealed under
 * that person's key and removed when the person is erased, so that erasure reaches the outbox and
 * every backup of it. `expires_at`: every row goes by then, delivered or not (`mail.expire`).
 * Rows written before this migration expire seven days after they were written. No foreign key:
 * an erased person stays a tombstone in `subjects`, and the erasure removes the rows itself.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table outbox add column subject_id uuid`.execute(db);
  await sql`alter table outbox add column expires_at timestamptz`.execute(db);
  await sql`update outbox set expires_at = created_at + interval '7 days'`.execute(db);
  await sql`alter table outbox alter column expires_at set not null`.execute(db);
  await sql`create index outbox_subject on outbox (subject_id) where subject_id is not null`.execute(
    db,
  );
  await sql`create index outbox_expiry on outbox (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists outbox_expiry`.execute(db);
  await sql`drop index if exists outbox_subject`.execute(db);
  await sql`alter table outbox drop column if exists expires_at`.execute(db);
  await sql`alter table outbox drop column if exists subject_id`.execute(db);
}
