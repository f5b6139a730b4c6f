/**
 * Categories a legal hold keeps in place for a person who keeps others (docs/retention.md): their
 * retention rules have ended, a hold still keeps them, and until the hold ends (or the person's
 * last category expires and the erasure path seals them into a held record) they are readable
 * only for the hold's purpose. The retention sweep writes a row per category and hold purpose;
 * a new write to the category, its deletion and the person's erasure remove it. No personal data:
 * an id, a category and a purpose.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subject_category_holds (
      subject_id uuid not null references subjects (id),
      category text not null,
      purpose text not null,
      primary key (subject_id, category, purpose)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists subject_category_holds`.execute(db);
}
