/**
 * When a person's customer relationship began (docs/retention.md, "When data expire"):
 * `subject_retention.related_at`, the first write of their data under a relationship purpose (one
 * resting on the contract, or whose retention rule counts from the end of the relationship), or
 * the end of their relationship. Never cleared by later writes (a marketer re-tagging a customer's
 * field leaves it); it goes with the person's erasure, as the row does. A person with none never
 * was a customer: a rule from the end of the relationship counts from the category's collection.
 *
 * Backfilled conservatively: every person stored before this migration (not erased, not a held
 * record) counts as related from their earliest collection (or their creation), so the upgrade
 * erases nobody a sweep kept before it. No personal data: a time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table subject_retention add column related_at timestamptz`.execute(db);
  await sql`
    insert into subject_retention (subject_id, related_at)
    select s.id, coalesce(v.first_collected, s.created_at)
      from subjects s
      left join (select subject_id, min(collected_at) as first_collected
                   from subject_values group by subject_id) v on v.subject_id = s.id
     where s.erased_at is null and s.held_purpose is null
    on conflict (subject_id) do update
      set related_at = coalesce(subject_retention.related_at, excluded.related_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table subject_retention drop column if exists related_at`.execute(db);
}
