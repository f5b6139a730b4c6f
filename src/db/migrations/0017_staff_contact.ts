/**
 * A staff member's e-mail address and language, both optional: where and in which language the
 * daily digest of requests due goes to those who handle requests (requests.digest).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table staff add column email text`.execute(db);
  await sql`alter table staff add column lang text check (lang in ('sv', 'fi', 'en'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table staff drop column lang`.execute(db);
  await sql`alter table staff drop column email`.execute(db);
}
