/**
 * An address a legal hold keeps in place beside a new person's (docs/retention.md, "An address a
 * hold keeps"). A person whose contact details the retention sweep keeps only for a hold's purpose
 * (subject_category_holds) keeps their e-mail blind index, for a lookup under that purpose. For
 * every other purpose the address is not theirs: a person created or imported with it under such a
 * purpose is a new person, with the same blind index. Which addresses are "taken" now depends on
 * the purpose writing, which a unique index cannot say: the index stays (every lookup by address
 * uses it) but no longer unique, and the one person per address a purpose sees is kept by the
 * writers, which all take the address's advisory lock and check before they write
 * (subjectsRepo.lockForDedupe, findByEmailIndexes).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index subjects_email_index`.execute(db);
  await sql`create index subjects_email_index on subjects (email_index)
    where held_purpose is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index subjects_email_index`.execute(db);
  await sql`create unique index subjects_email_index on subjects (email_index)
    where held_purpose is null`.execute(db);
}
