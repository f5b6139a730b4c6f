/**
 * One-time passwords: an account whose password was generated (the first administrator's, one
 * made by `rekisteri admin create` or the console) must choose its own at the first sign-in.
 * Accounts that exist already keep working as they are.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table staff add column must_change_password boolean not null default false`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staff drop column must_change_password`.execute(db);
}
