/**
 * Outbox mail sealed under a key of its own (`own_key`): mail to an address tied to no person that
 * must not outlive its use — the completion mail of an erasure, whose person's key is gone. Its
 * key is in the key store, named by the mail's id, and destroyed when the mail is sent or expires,
 * so that a copy of the outbox kept from before (a backup) opens nothing then. Other mail tied to
 * no person stays sealed under the server's secret.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table outbox add column own_key boolean not null default false`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table outbox drop column if exists own_key`.execute(db);
}
